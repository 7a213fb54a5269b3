"""``imagewarden import inventory FILE``: load assets from CSV or JSON, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from imagewarden.cli.state import err, state
from imagewarden.inventory.api import import_inventory as run_import

import_app = typer.Typer(help="Import data into the store.", no_args_is_help=True)


@import_app.command("inventory")
def import_inventory(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Inventory files (.csv or .json); see docs/inventory-format.md."),
    ],
) -> None:
    """Import assets, services and posture facts. A file with any error writes nothing."""
    for done in run_import(state(ctx).workspace(), files):
        summary = done.summary
        err.print(
            f"{done.name}: {done.assets} assets ({summary.assets_added} new, "
            f"{summary.assets_updated} updated), {done.sites} sites, "
            f"{summary.observations} facts"
        )
