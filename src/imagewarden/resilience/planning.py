"""Recovery plans for an inventory, and the facts and JSON they turn into (no I/O here)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from imagewarden.model import (
    Asset,
    FactValue,
    Observation,
    ObservationSource,
    Site,
    SubjectKind,
    UserInputError,
)
from imagewarden.resilience.records import COLLECTOR
from imagewarden.resilience.recovery import RecoveryPlan, plan_enterprise
from imagewarden.resilience.schema import ServiceNode

if TYPE_CHECKING:
    from imagewarden.store import ObservationBatch

PLAN_FACTS = ("site.recovery_hours_estimate", "site.recovery_within_72h")
MEASURED_FACT = "backup.restore_hours_estimate"
STORAGE_FACT = "modality.local_storage_hours"


def measured_hours(latest: Mapping[str, FactValue]) -> dict[str, float]:
    """Asset id -> restore hours a restore test measured, from the newest fact values."""
    return {
        subject: float(value)
        for subject, value in latest.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def plan_sites(
    sites: Sequence[Site],
    assets: Sequence[Asset],
    services: Mapping[str, ServiceNode],
    measured: Mapping[str, float],
) -> list[RecoveryPlan]:
    """Plans for these sites, with the restore times measured by restore tests."""
    return plan_enterprise(sites, assets, services, measured)


def plan_facts(plans: Sequence[RecoveryPlan], now: dt.datetime) -> ObservationBatch:
    """Each site's estimate as facts, replacing the previous plan's."""
    # imported here, not at the top: `backup verify` needs no store and starts faster without it
    from imagewarden.store import ObservationBatch

    observations = tuple(
        Observation(SubjectKind.SITE, plan.site.id, name, value, ObservationSource.PROBED, now,
                    COLLECTOR)
        for plan in plans
        for name, value in (
            ("site.recovery_hours_estimate", round(plan.critical_hours, 1)),
            ("site.recovery_within_72h", plan.within_target),
        )
    )  # fmt: skip
    return ObservationBatch(
        ObservationSource.PROBED,
        observations,
        subjects=tuple((SubjectKind.SITE, p.site.id) for p in plans),
        names=frozenset(PLAN_FACTS),
    )


def plan_as_dict(plan: RecoveryPlan) -> dict[str, object]:
    """One plan, JSON-ready (``recovery plan --format json``)."""
    return {
        "site": plan.site.id,
        "site_name": plan.site.name,
        "critical_hours": round(plan.critical_hours, 1),
        "all_hours": round(plan.all_hours, 1),
        "within_72h": plan.within_target,
        "order": [
            {
                "step": i,
                "service": s.service.id,
                "title": s.service.title,
                "assets": [a.name for a in s.assets],
                "after": list(s.depends_on),
                "hours": round(s.hours, 1),
                "measured": s.measured,
                "start_h": round(s.start, 1),
                "ready_h": round(s.finish, 1),
                "fallback": s.service.downtime_fallback,
            }
            for i, s in enumerate(plan.steps, start=1)
        ],
        "gaps": list(plan.gaps),
    }


def choose_site(sites: Sequence[Site], assets: Sequence[Asset], site_id: str | None) -> Site:
    """The named site, or the site with the most assets when none is named."""
    if not sites:
        raise UserInputError("the inventory has no sites", hint="import an inventory first")
    if site_id is None:
        # the site with the most assets: the main hospital rather than a discovery stub
        counts = Counter(a.site_id for a in assets)
        return max(sites, key=lambda s: (counts.get(s.id, 0), s.id == sites[0].id))
    for site in sites:
        if site.id == site_id:
            return site
    known = ", ".join(s.id for s in sites)
    raise UserInputError(f"no site {site_id!r} in the inventory", hint=f"sites: {known}")
