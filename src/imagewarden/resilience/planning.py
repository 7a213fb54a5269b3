"""Recovery plans for the stored inventory, and their facts for the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from imagewarden.model import Asset, Site, SubjectKind, UserInputError
from imagewarden.resilience.data import shipped
from imagewarden.resilience.inventory_view import SiteView
from imagewarden.resilience.records import latest_facts, record_facts
from imagewarden.resilience.recovery import RecoveryPlan, plan_enterprise
from imagewarden.store import Store


def plans_for(store: Store, site_id: str | None = None) -> list[RecoveryPlan]:
    sites = store.sites()
    if site_id is not None:
        sites = [s for s in sites if s.id == site_id]
        if not sites:
            raise UserInputError(f"no site {site_id!r} in the inventory")
    return plan_sites(store, sites, store.assets())


def plan_sites(store: Store, sites: Sequence[Site], assets: Sequence[Asset]) -> list[RecoveryPlan]:
    """Plans for these sites, with the restore times measured by restore tests."""
    measured = {
        subject: float(value)
        for subject, value in latest_facts(store, "backup.restore_hours_estimate").items()
        if isinstance(value, int | float)
    }
    return plan_enterprise(sites, assets, shipped().services, measured)


def record_plans(store: Store, plans: list[RecoveryPlan], now: dt.datetime | None = None) -> None:
    for plan in plans:
        record_facts(
            store,
            SubjectKind.SITE,
            plan.site.id,
            {
                "site.recovery_hours_estimate": round(plan.critical_hours, 1),
                "site.recovery_within_72h": plan.within_target,
            },
            now,
        )


def plan_as_dict(plan: RecoveryPlan) -> dict[str, object]:
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


def site_view(store: Store, site_id: str | None) -> SiteView:
    """The named site, or the site with the most assets when none is named."""
    sites = store.sites()
    if not sites:
        raise UserInputError("the inventory has no sites", hint="import an inventory first")
    if site_id is None:
        # the site with the most assets: the main hospital rather than a discovery stub
        counts: dict[str, int] = {}
        for asset in store.assets():
            counts[asset.site_id] = counts.get(asset.site_id, 0) + 1
        site = max(sites, key=lambda s: (counts.get(s.id, 0), s.id == sites[0].id))
    else:
        found = [s for s in sites if s.id == site_id]
        if not found:
            known = ", ".join(s.id for s in sites)
            raise UserInputError(f"no site {site_id!r} in the inventory (sites: {known})")
        site = found[0]
    storage = latest_facts(store, "modality.local_storage_hours")
    facts = {subject: {"modality.local_storage_hours": v} for subject, v in storage.items()}
    return SiteView.build(site, store.assets(site.id), facts)
