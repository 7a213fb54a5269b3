"""Findings joined with what a reader needs beside them: site and asset names, safeguards.

Joining once here keeps every renderer from repeating the lookups (and their fallbacks when
the store holds a finding whose site or asset was since removed from the inventory).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from imagewarden.catalog import Catalog
from imagewarden.contracts import FindingSet
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
from imagewarden.store.finding_stream import StoredFindings

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


class StreamedViews:
    """Views of findings read from the store on each pass, already in risk order: a report
    of a large assessment holds one batch of them at a time."""

    def __init__(self, findings: FindingSet, join: _Join) -> None:
        self._findings = findings
        self._join = join
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = len(self._findings)
        return self._count

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[FindingView]:
        return map(self._join, self._findings)

    def only(self, **narrowing: Any) -> StreamedViews:
        """These views narrowed as ``FindingSet.only`` narrows findings."""
        return StreamedViews(self._findings.only(**narrowing), self._join)


FindingViews = tuple[FindingView, ...] | StreamedViews
"""Views in risk order: held (a small assessment) or streamed (a large one)."""


def view_findings(context: ReportContext) -> FindingViews:
    """Every finding of the context, joined, in risk order.

    Findings held in memory are joined and sorted; findings read from the store are read in
    risk order and joined as they are read, on each pass.
    """
    join = _Join(context.sites, context.assets, context.catalog)
    if isinstance(context.findings, StoredFindings):
        return StreamedViews(context.findings.in_risk_order(), join)
    return tuple(sorted(map(join, context.findings), key=risk_order))


class _Join:
    """Joins one finding with its site name, asset and catalog entries."""

    def __init__(self, sites: Iterable[Site], assets: Iterable[Asset], catalog: Catalog) -> None:
        self.names = site_names(sites)
        self.by_id = {a.id: a for a in assets}
        self.catalog = catalog
        self.checks = catalog.checks
        self.safeguards: dict[tuple[str, ...], tuple[tuple[Safeguard, ...], tuple[str, ...]]] = {}

    def _safeguards(self, urns: tuple[str, ...]) -> tuple[tuple[Safeguard, ...], tuple[str, ...]]:
        """(known, unknown), shared by every finding with the same recommendations."""
        known = self.catalog.safeguards
        held = self.safeguards[urns] = (
            tuple(known[s] for s in urns if s in known),
            tuple(s for s in urns if s not in known),
        )
        return held

    def __call__(self, f: Finding) -> FindingView:
        # Called for every finding of a report: lookups inlined, fields given in order.
        held = self.safeguards.get(f.safeguards)
        known, unknown = self._safeguards(f.safeguards) if held is None else held
        asset_id = f.asset_id
        return FindingView(
            f,
            self.names.get(f.site_id, f.site_id),
            self.by_id.get(asset_id) if asset_id is not None else None,
            self.checks.get(f.check_id),
            known,
            unknown,
        )


def current_views_of(context: ReportContext, asset_ids: Collection[str]) -> list[FindingView]:
    """The current findings of these assets with their evidence, joined, in risk order
    (read from the store, by asset, when the context streams its findings)."""
    findings = context.findings.only(statuses=CURRENT_STATUSES, asset_ids=asset_ids, complete=True)
    join = _Join(context.sites, context.assets, context.catalog)
    return sorted(map(join, findings), key=risk_order)
