"""``imagewarden assets``: the assets as stored (error messages point to their ids)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.app.assets import AssetQuery, list_assets
from imagewarden.cli.state import err, out, state
from imagewarden.model import Asset, AssetType

assets_app = typer.Typer(help="List assets as stored.", no_args_is_help=True)


class ListFormat(StrEnum):
    """Output of ``assets list``."""

    TABLE = "table"
    JSON = "json"


def _as_json(asset: Asset) -> dict[str, object]:
    return {
        "id": asset.id,
        "site_id": asset.site_id,
        "name": asset.name,
        "type": asset.type.value,
        "vendor": asset.vendor,
        "model": asset.model,
        "software_version": asset.software_version,
        "os": asset.os,
        "os_version": asset.os_version,
        "ip_addresses": list(asset.ip_addresses),
        "hostname": asset.hostname,
        "network_zone": asset.network_zone.value,
        "criticality": asset.criticality.value,
        "managed": asset.managed,
    }


@assets_app.command("list")
def list_command(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site id.")] = None,
    asset_type: Annotated[
        AssetType | None, typer.Option("--type", case_sensitive=False, help="Only this type.")
    ] = None,
    managed: Annotated[
        bool | None,
        typer.Option(
            "--managed/--unmanaged", help="Only inventory assets, or only discovered hosts."
        ),
    ] = None,
    search: Annotated[str, typer.Option(help="Part of the id, name, hostname or address.")] = "",
    output: Annotated[
        ListFormat, typer.Option("--format", case_sensitive=False, help="table or json.")
    ] = ListFormat.TABLE,
) -> None:
    """List assets by site, with their addresses and whether they are in the inventory."""
    rows = list_assets(state(ctx).workspace(), AssetQuery(site, asset_type, managed, search))
    if output is ListFormat.JSON:
        out.file.write(json.dumps([_as_json(a) for a in rows], indent=2) + "\n")
        return
    table = Table()
    table.add_column("id", no_wrap=True, overflow="fold")
    for column in ("site", "type", "name", "addresses", "hostname", "managed"):
        table.add_column(column)
    for a in rows:
        table.add_row(
            a.id, a.site_id, a.type.value, a.name, " ".join(a.ip_addresses), a.hostname,
            "yes" if a.managed else "no",
        )  # fmt: skip
    out.print(table)
    err.print(f"{len(rows)} assets")
