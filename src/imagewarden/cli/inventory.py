"""``imagewarden import inventory FILE``: load assets from CSV or JSON, all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from imagewarden.cli.state import err, state
from imagewarden.inventory import ImportContext, read_inventory

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
    cli = state(ctx)
    store = cli.store()
    context = ImportContext(catalog=cli.catalog, observed_at=dt.datetime.now(dt.UTC))
    # Read and validate every file before writing any, so one bad file stops them all.
    inventories = [(path, read_inventory(path, context)) for path in files]
    for path, inventory in inventories:
        summary = store.save_inventory(inventory)
        err.print(
            f"{path}: {len(inventory.assets)} assets ({summary.assets_added} new, "
            f"{summary.assets_updated} updated), {len(inventory.sites)} sites, "
            f"{summary.observations} facts"
        )
