"""Assets as stored: list them with filters, look one up."""

from __future__ import annotations

from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.model import Asset, AssetType, UserInputError


@dataclass(frozen=True, slots=True)
class AssetQuery:
    """Which assets to list; every field narrows the list."""

    site_id: str | None = None
    asset_type: AssetType | None = None
    managed: bool | None = None
    """True: in the inventory; False: found by discovery or capture analysis only."""
    text: str = ""
    """Case-insensitive part of the id, name, hostname or an address."""


def _matches(asset: Asset, query: AssetQuery) -> bool:
    if query.asset_type is not None and asset.type is not query.asset_type:
        return False
    if query.managed is not None and asset.managed is not query.managed:
        return False
    if query.text:
        needle = query.text.lower()
        haystack = [asset.id, asset.name, asset.hostname, *asset.ip_addresses]
        return any(needle in value.lower() for value in haystack)
    return True


def list_assets(workspace: Workspace, query: AssetQuery = AssetQuery()) -> list[Asset]:
    """Assets matching ``query``, by site then id; an unknown site is a user error."""
    store = workspace.store
    if query.site_id is not None and query.site_id not in {s.id for s in store.sites()}:
        raise UserInputError(
            f"unknown site {query.site_id!r}", hint="see 'imagewarden assets list'"
        )
    return [a for a in store.assets(query.site_id) if _matches(a, query)]
