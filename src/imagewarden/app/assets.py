"""Assets as stored: list them with filters, look one up."""

from __future__ import annotations

from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.model import Asset, AssetType, Finding, Observation, SubjectKind, UserInputError
from imagewarden.store import FindingFilter
from imagewarden.store import finding_views as views
from imagewarden.store.finding_views import AssetSearch, Page


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
    if query.site_id is not None:
        store.site(query.site_id)
    return [a for a in store.assets(query.site_id) if _matches(a, query)]


# --- the workspace's view of assets: pages and one asset's detail -------------------------

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class AssetBrowse:
    """A page request over assets."""

    site_id: str | None = None
    asset_type: AssetType | None = None
    text: str = ""
    offset: int = 0
    limit: int = 50


def browse_assets(
    workspace: Workspace, browse: AssetBrowse, *, sites: frozenset[str] | None = None
) -> Page[Asset]:
    """One page of assets by site then id; ``sites`` is the reader's scope."""
    if browse.offset < 0 or not 1 <= browse.limit <= MAX_PAGE:
        raise UserInputError(f"a page holds 1 to {MAX_PAGE} assets from offset 0 or more")
    return views.asset_page(
        workspace.store,
        AssetSearch(
            sites=sites,
            site_id=browse.site_id,
            asset_type=browse.asset_type.value if browse.asset_type is not None else None,
            text=browse.text[:200],
            offset=browse.offset,
            limit=browse.limit,
        ),
    )


@dataclass(frozen=True, slots=True)
class AssetDetail:
    """One asset with its services, observations, findings and CVEs."""

    asset: Asset
    observations: tuple[Observation, ...]
    """Facts about the asset and its services, every source."""
    findings: tuple[Finding, ...]
    """Findings about the asset other than CVEs, highest risk first."""
    vulnerabilities: tuple[Finding, ...]
    """CVE findings (``extra['cve']``), highest risk first."""


def get_asset(workspace: Workspace, asset_id: str) -> Asset:
    """The asset with exactly this id; an unknown id is a user error."""
    return workspace.store.asset(asset_id)


def asset_detail(workspace: Workspace, asset_id: str) -> AssetDetail:
    """Everything stored about one asset."""
    asset = get_asset(workspace, asset_id)
    subjects = [
        (SubjectKind.ASSET, asset.id),
        *((SubjectKind.SERVICE, s.key(asset.id)) for s in asset.services),
    ]
    observations = views.observations_of(workspace.store, subjects)
    findings = workspace.store.findings(FindingFilter(asset_id=asset.id))
    return AssetDetail(
        asset=asset,
        observations=tuple(observations),
        findings=tuple(f for f in findings if "cve" not in f.extra),
        vulnerabilities=tuple(f for f in findings if "cve" in f.extra),
    )
