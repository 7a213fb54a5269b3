"""Findings joined with what a reader needs beside them: site and asset names, safeguards.

Joining once here keeps every renderer from repeating the lookups (and their fallbacks when
the store holds a finding whose site or asset was since removed from the inventory).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from imagewarden.catalog import Catalog
from imagewarden.model import (
    ENTERPRISE_SITE_ID,
    ENTERPRISE_SITE_NAME,
    Asset,
    Check,
    DefenseLayer,
    Finding,
    FindingStatus,
    FrameworkRef,
    Safeguard,
    Site,
)
from imagewarden.render.labels import SITE_WIDE
from imagewarden.report.interface import ReportContext

CURRENT_STATUSES = frozenset({FindingStatus.OPEN, FindingStatus.ACCEPTED})
"""Statuses that are current risk. Mitigated and false-positive findings are history."""


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding joined with its site name, asset, check and safeguards."""

    finding: Finding
    site_name: str
    asset: Asset | None
    check: Check | None
    safeguards: tuple[Safeguard, ...]
    """Recommended safeguards found in the catalog, in the finding's order."""
    unknown_safeguards: tuple[str, ...]
    """Recommended safeguard URNs the loaded catalog does not define."""

    @property
    def is_current(self) -> bool:
        """Open or accepted: counts as current risk."""
        return self.finding.status in CURRENT_STATUSES

    @property
    def asset_name(self) -> str:
        """The asset's name, its id when the inventory no longer has it, else empty."""
        if self.asset is not None:
            return self.asset.name
        return self.finding.asset_id or ""

    @property
    def category(self) -> str:
        """Asset category value, or ``site`` for a finding about a whole site."""
        if self.asset is not None:
            return self.asset.type.category.value
        return SITE_WIDE if self.finding.asset_id is None else "unknown"

    @property
    def layers(self) -> frozenset[DefenseLayer]:
        """A finding sits in the layers of the safeguards recommended for it."""
        return frozenset(s.layer for s in self.safeguards)

    @property
    def refs(self) -> tuple[FrameworkRef, ...]:
        """The check's own framework references (safeguards carry theirs)."""
        return self.check.refs if self.check is not None else ()


def risk_order(view: FindingView) -> tuple[int, int, str, str]:
    """Sort key: highest risk score first, then highest severity, then a stable tie-break."""
    f = view.finding
    return (-f.risk.score, -f.severity.rank, f.title, f.id)


def site_names(sites: Iterable[Site]) -> dict[str, str]:
    """Site id to name, the enterprise-wide pseudo-site included."""
    return {ENTERPRISE_SITE_ID: ENTERPRISE_SITE_NAME, **{s.id: s.name for s in sites}}


def view_findings(context: ReportContext) -> tuple[FindingView, ...]:
    """Every finding of the context, joined, in risk order."""
    return join_findings(context.findings, context.sites, context.assets, context.catalog)


def join_findings(
    findings: Iterable[Finding],
    sites: Iterable[Site],
    assets: Iterable[Asset],
    catalog: Catalog,
) -> tuple[FindingView, ...]:
    """Findings joined with their sites, assets and catalog entries, in risk order."""
    names = site_names(sites)
    by_id = {a.id: a for a in assets}
    views = []
    for f in findings:
        known = tuple(catalog.safeguards[s] for s in f.safeguards if s in catalog.safeguards)
        unknown = tuple(s for s in f.safeguards if s not in catalog.safeguards)
        views.append(
            FindingView(
                finding=f,
                site_name=names.get(f.site_id, f.site_id),
                asset=by_id.get(f.asset_id) if f.asset_id is not None else None,
                check=catalog.checks.get(f.check_id),
                safeguards=known,
                unknown_safeguards=unknown,
            )
        )
    return tuple(sorted(views, key=risk_order))
