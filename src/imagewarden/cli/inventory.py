"""``imagewarden import inventory FILE``: load assets from CSV or JSON, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from imagewarden.cli.state import err, state
from imagewarden.inventory.api import import_inventory as run_import
from imagewarden.inventory.api import import_nmap as run_nmap_import


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


def import_nmap(
    ctx: typer.Context,
    scan: Annotated[Path, typer.Argument(help="An nmap XML scan (nmap -oX FILE).")],
    site: Annotated[
        str | None,
        typer.Option(help="Site of hosts not in the inventory (default: a 'discovered' site)."),
    ] = None,
) -> None:
    """Import an nmap scan: open ports, versions and dicom-ping results; unknown hosts become
    unmanaged assets to reconcile."""
    done = run_nmap_import(state(ctx).workspace(), scan, site_id=site)
    err.print(
        f"{scan}: {done.hosts} hosts up ({done.matched_assets} in the inventory, "
        f"{done.unmanaged_added} new unmanaged), {done.services} open services, "
        f"{done.facts} facts"
    )
