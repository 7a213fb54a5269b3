"""The safeguard plan: what to do, grouped by kind of control and defense layer, by impact.

A safeguard's impact is the sum of the readiness weights (critical 10, high 5, medium 2,
low 1) of the current findings it is recommended for, so the plan's order and the readiness
score speak the same language: the first item recovers the most.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass

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
    finding_ids: frozenset[str]
    high_or_critical_ids: frozenset[str]

    @property
    def high_or_critical(self) -> int:
        """High or critical findings this safeguard addresses."""
        return len(self.high_or_critical_ids)


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


def impact_order(item: PlanItem) -> tuple[float, int, int, str]:
    """Sort key: highest impact first, then severity, then findings, then title."""
    return (-item.impact, -item.highest_severity.rank, -item.findings, item.safeguard.title)


def safeguard_plan(
    current: Iterable[FindingView], site_ids: Set[str] | None = None
) -> SafeguardPlan:
    """Plan from current findings only; resolved findings need no safeguard.

    ``site_ids``: the inventory sites, the only ones a plan item counts in its ``sites``
    (findings elsewhere, e.g. enterprise-wide, still count in its findings); None: all.
    """
    safeguards: dict[str, Safeguard] = {}
    addressed: dict[str, list[FindingView]] = defaultdict(list)
    unknown: set[str] = set()
    for view in current:
        for safeguard in view.safeguards:
            safeguards[safeguard.id] = safeguard
            addressed[safeguard.id].append(view)
        unknown.update(view.unknown_safeguards)
    items = []
    for urn, views in addressed.items():
        findings = [v.finding for v in views]
        items.append(
            PlanItem(
                safeguard=safeguards[urn],
                findings=len(findings),
                assets=len({f.asset_id for f in findings if f.asset_id is not None}),
                sites=len(
                    {f.site_id for f in findings if site_ids is None or f.site_id in site_ids}
                ),
                highest_severity=max((f.severity for f in findings), key=lambda s: s.rank),
                impact=sum(SEVERITY_WEIGHT[f.severity] for f in findings),
                finding_ids=frozenset(f.id for f in findings),
                high_or_critical_ids=frozenset(
                    f.id for f in findings if f.severity.rank >= Severity.HIGH.rank
                ),
            )
        )
    items.sort(key=impact_order)
    groups = []
    for safeguard_type in SafeguardType:
        layers = []
        for layer in DefenseLayer:
            members = tuple(
                i for i in items if (i.safeguard.type, i.safeguard.layer) == (safeguard_type, layer)
            )
            if members:
                layers.append(LayerGroup(layer, members))
        if layers:
            groups.append(TypeGroup(safeguard_type, tuple(layers)))
    return SafeguardPlan(tuple(items), tuple(groups), tuple(sorted(unknown)))
