"""The safeguard plan: what to do, grouped by kind of control and defense layer, by impact.

A safeguard's impact is the sum of the readiness weights (critical 10, high 5, medium 2,
low 1) of the current findings it is recommended for, so the plan's order and the readiness
score speak the same language: the first item recovers the most.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set
from dataclasses import dataclass, field

from imagewarden.model import DefenseLayer, Safeguard, SafeguardType, Severity
from imagewarden.report.readiness import SEVERITY_WEIGHT
from imagewarden.report.views import FindingView


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One recommended safeguard and the current findings it addresses."""

    safeguard: Safeguard
    findings: int
    assets: int
    sites: int
    highest_severity: Severity
    impact: float
    high_or_critical: int
    """High or critical findings this safeguard addresses."""


@dataclass(frozen=True, slots=True)
class FindingKind:
    """Current findings with the same recommended safeguards, high or critical or not.

    Which findings a set of safeguards addresses depends only on these, so the asks are
    chosen over kinds (a few hundred) rather than over each finding's id.
    """

    safeguards: frozenset[str]
    high_or_critical: bool
    findings: int

    def addressed_by(self, safeguard_ids: Set[str]) -> bool:
        """Whether any of these safeguards is recommended for the findings of this kind."""
        return not self.safeguards.isdisjoint(safeguard_ids)


@dataclass(frozen=True, slots=True)
class LayerGroup:
    """Plan items of one defense layer."""

    layer: DefenseLayer
    items: tuple[PlanItem, ...]


@dataclass(frozen=True, slots=True)
class TypeGroup:
    """Plan items of one kind of control, by layer."""

    type: SafeguardType
    layers: tuple[LayerGroup, ...]

    @property
    def items(self) -> tuple[PlanItem, ...]:
        """Every item of this group, layer by layer."""
        return tuple(item for group in self.layers for item in group.items)


@dataclass(frozen=True, slots=True)
class SafeguardPlan:
    """The safeguard plan of the current findings."""

    items: tuple[PlanItem, ...]
    """Every recommended safeguard, highest impact first."""
    groups: tuple[TypeGroup, ...]
    """The same items by type (technical, administrative, physical), then by layer from
    governance inward to recovery, each group highest impact first."""
    unknown: tuple[str, ...]
    """Safeguard URNs recommended by findings but missing from the loaded catalog."""
    kinds: tuple[FindingKind, ...] = ()
    """The current findings with a safeguard of the plan, by kind."""


def impact_order(item: PlanItem) -> tuple[float, int, int, str]:
    """Sort key: highest impact first, then severity, then findings, then title."""
    return (-item.impact, -item.highest_severity.rank, -item.findings, item.safeguard.title)


@dataclass(slots=True)
class _Addressed:
    """What one safeguard addresses so far."""

    safeguard: Safeguard
    findings: int = 0
    sites: set[str] = field(default_factory=set)
    highest: Severity = Severity.INFO
    impact: float = 0.0
    high_or_critical: int = 0


class PlanTally:
    """The plan's counts, one current finding at a time (no finding is kept).

    Each finding only adds one to the count of its kind (its recommendations, severity and
    site) and its safeguards to its asset's; the items are made from those counts at the end.
    """

    def __init__(self) -> None:
        self.counts: Counter[tuple[tuple[str, ...], Severity, str]] = Counter()
        """Findings per (recommended safeguard URNs, severity, site), in order of appearance."""
        self.recommended: dict[tuple[str, ...], tuple[tuple[Safeguard, ...], tuple[str, ...]]]
        self.recommended = {}
        """Per recommendation list: its safeguards in the catalog, and the URNs it lacks."""
        self.ids: dict[tuple[str, ...], frozenset[str]] = {}
        """Known safeguard ids per recommendation list, shared by the findings that have it."""
        self.by_asset: dict[str, frozenset[str]] = {}
        """Per asset, the safeguards recommended for any of its findings: few distinct sets,
        each held once (``shared``), instead of a set of assets per safeguard."""
        self.shared: dict[frozenset[str], frozenset[str]] = {}
        self.unions: dict[tuple[int, int], frozenset[str]] = {}
        """The shared union of a shared set held for an asset and a recommendation list's."""

    def add(self, view: FindingView) -> None:
        """Count one current finding."""
        f = view.finding
        urns = f.safeguards
        ids = self.ids.get(urns)
        if ids is None:
            ids = self.ids[urns] = frozenset(s.id for s in view.safeguards)
            self.recommended[urns] = (view.safeguards, view.unknown_safeguards)
        self.counts[(urns, f.severity, f.site_id)] += 1
        if ids and f.asset_id is not None:
            self._add_to_asset(f.asset_id, ids)

    def _add_to_asset(self, asset_id: str, ids: frozenset[str]) -> None:
        held = self.by_asset.get(asset_id)
        if held is None:
            self.by_asset[asset_id] = self.shared.setdefault(ids, ids)
            return
        # Both sets are shared (held here for good), so their ids name them: the union of
        # two is worked out once, not for every finding of every asset.
        key = (id(held), id(ids))
        union = self.unions.get(key)
        if union is None:
            union = held if ids <= held else held | ids
            union = self.unions[key] = self.shared.setdefault(union, union)
        self.by_asset[asset_id] = union

    def plan(self, site_ids: Set[str] | None = None) -> SafeguardPlan:
        """The plan of the current findings added; resolved findings need no safeguard.

        ``site_ids``: the inventory sites, the only ones a plan item counts in its ``sites``
        (findings elsewhere, e.g. enterprise-wide, still count in its findings); None: all.
        """
        assets: Counter[str] = Counter()
        for union, n in Counter(self.by_asset.values()).items():
            for safeguard_id in union:
                assets[safeguard_id] += n
        addressed: dict[str, _Addressed] = {}
        unknown: set[str] = set()
        kinds: Counter[tuple[frozenset[str], bool]] = Counter()
        for (urns, severity, site_id), n in self.counts.items():
            known, missing = self.recommended[urns]
            unknown.update(missing)
            high = severity.rank >= Severity.HIGH.rank
            if known:
                kinds[(self.ids[urns], high)] += n
            for safeguard in known:
                item = addressed.get(safeguard.id)
                if item is None:
                    item = addressed[safeguard.id] = _Addressed(safeguard)
                item.findings += n
                item.sites.add(site_id)
                if severity.rank > item.highest.rank:
                    item.highest = severity
                item.impact += SEVERITY_WEIGHT[severity] * n
                item.high_or_critical += n if high else 0
        items = [
            PlanItem(
                safeguard=a.safeguard,
                findings=a.findings,
                assets=assets[urn],
                sites=len(a.sites if site_ids is None else a.sites & site_ids),
                highest_severity=a.highest,
                impact=a.impact,
                high_or_critical=a.high_or_critical,
            )
            for urn, a in addressed.items()
        ]
        items.sort(key=impact_order)
        groups = []
        for safeguard_type in SafeguardType:
            layers = []
            for layer in DefenseLayer:
                members = tuple(
                    i
                    for i in items
                    if (i.safeguard.type, i.safeguard.layer) == (safeguard_type, layer)
                )
                if members:
                    layers.append(LayerGroup(layer, members))
            if layers:
                groups.append(TypeGroup(safeguard_type, tuple(layers)))
        return SafeguardPlan(
            tuple(items),
            tuple(groups),
            tuple(sorted(unknown)),
            tuple(FindingKind(ids, high, n) for (ids, high), n in kinds.items()),
        )
