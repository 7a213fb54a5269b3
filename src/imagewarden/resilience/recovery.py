"""Recovery planning: which imaging services come back in which order, and when.

The dependency graph comes from the catalog (resilience/services.yaml); the inventory decides
which services a site has and names their assets. Services restore as soon as their
dependencies are up (parallel teams), the order among ready services follows clinical
priority, and the estimate uses restore-test measurements where they exist.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from imagewarden.model import Asset, Site, UserInputError
from imagewarden.resilience.schema import ServiceNode

TARGET_HOURS = 72.0
"""Restore critical systems within 72 hours (proposed 2025 HIPAA Security Rule update)."""
DOWNTIME_HORIZON_HOURS = 4 * 7 * 24.0
"""Plan for four weeks without critical systems (Joint Commission Sentinel Event Alert 67)."""


@dataclass(frozen=True)
class PlannedService:
    """One service in a site's restore order: its assets, hours and when it is back."""

    service: ServiceNode
    assets: tuple[Asset, ...]
    depends_on: tuple[str, ...]
    hours: float
    measured: bool
    start: float
    finish: float


@dataclass(frozen=True)
class RecoveryPlan:
    """A site's restore order, time to recover and gaps."""

    site: Site
    steps: tuple[PlannedService, ...]
    critical_hours: float
    all_hours: float
    gaps: tuple[str, ...] = field(default=())

    @property
    def within_target(self) -> bool:
        """Critical imaging is back within 72 hours."""
        return self.critical_hours <= TARGET_HOURS


def _order(nodes: Mapping[str, ServiceNode], deps: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Topological order; among services whose dependencies are met, clinical priority first."""
    waiting = {sid: set(deps[sid]) for sid in nodes}
    dependants: dict[str, list[str]] = {sid: [] for sid in nodes}
    for sid, ds in deps.items():
        for dep in ds:
            dependants[dep].append(sid)
    ready = [(nodes[s].clinical_priority, s) for s, w in waiting.items() if not w]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _prio, sid = heapq.heappop(ready)
        order.append(sid)
        for child in dependants[sid]:
            waiting[child].discard(sid)
            if not waiting[child]:
                heapq.heappush(ready, (nodes[child].clinical_priority, child))
    if len(order) != len(nodes):
        cycle = sorted(s for s in nodes if s not in order)
        raise UserInputError(f"service dependencies form a cycle: {', '.join(cycle)}")
    return order


def plan_site(
    site: Site,
    assets: Sequence[Asset],
    services: Mapping[str, ServiceNode],
    measured_hours: Mapping[str, float],
) -> RecoveryPlan:
    """``measured_hours``: asset id -> restore hours extrapolated by a restore test."""
    present: dict[str, ServiceNode] = {}
    named: dict[str, tuple[Asset, ...]] = {}
    for service in services.values():
        mine = tuple(a for a in assets if a.type in service.asset_types)
        if mine or service.enterprise:
            present[service.id] = service
            named[service.id] = mine
    # a dependency the site does not have (no interface engine, say) is not waited for
    deps = {sid: tuple(d for d in s.depends_on if d in present) for sid, s in present.items()}
    finish: dict[str, float] = {}
    steps: list[PlannedService] = []
    for sid in _order(present, deps):
        service = present[sid]
        measured = [measured_hours[a.id] for a in named[sid] if a.id in measured_hours]
        use_measured = service.restores_images and bool(measured)
        hours = max(measured) if use_measured else service.restore_hours
        start = max((finish[d] for d in deps[sid]), default=0.0)
        finish[sid] = start + hours
        steps.append(
            PlannedService(service, named[sid], deps[sid], hours, use_measured, start, finish[sid])
        )
    critical = max((s.finish for s in steps if s.service.critical), default=0.0)
    every = max((s.finish for s in steps), default=0.0)
    return RecoveryPlan(site, tuple(steps), critical, every, tuple(_gaps(steps, critical)))


def _gaps(steps: Sequence[PlannedService], critical: float) -> Iterable[str]:
    if critical > TARGET_HOURS:
        late = [s.service.title for s in steps if s.service.critical and s.finish > TARGET_HOURS]
        yield (
            f"critical imaging services are back after {critical:.0f} h, beyond the "
            f"{TARGET_HOURS:.0f} h target: {', '.join(late)}"
        )
    beyond = [s.service.title for s in steps if s.finish > DOWNTIME_HORIZON_HOURS]
    if beyond:
        yield (
            "restores beyond four weeks, longer than the downtime the department plans for: "
            + ", ".join(beyond)
        )
    for step in steps:
        if step.service.restores_images and step.assets and not step.measured:
            names = ", ".join(a.name for a in step.assets)
            yield (
                f"{step.service.title}: no restore test measured ({names}); "
                f"the plan assumes {step.hours:g} h"
            )
        if step.service.critical and not step.service.downtime_fallback and step.assets:
            yield f"{step.service.title}: no clinical downtime fallback is defined"


def plan_enterprise(
    sites: Sequence[Site],
    assets: Sequence[Asset],
    services: Mapping[str, ServiceNode],
    measured_hours: Mapping[str, float],
) -> list[RecoveryPlan]:
    """One plan per site, each from the site's own assets."""
    by_site: dict[str, list[Asset]] = {}
    for asset in assets:
        by_site.setdefault(asset.site_id, []).append(asset)
    return [plan_site(s, by_site.get(s.id, []), services, measured_hours) for s in sites]
