"""The report's "Resilience" section: backup checks, recovery plans, drills and the IR team."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from imagewarden.resilience import drills as drill_records
from imagewarden.resilience.data import shipped
from imagewarden.resilience.planning import plan_sites
from imagewarden.resilience.records import backup_checks, team

if TYPE_CHECKING:
    from imagewarden.contracts import ReportSection, SectionSource
    from imagewarden.store import Store


def _backup_rows(store: Store) -> list[list[Any]]:
    rows = []
    for check in backup_checks(store, limit=20):
        summary = check["summary"]
        if check["kind"] == "verify":
            result = (
                f"{check['files']} files, {check['problem_files']} with problems, "
                f"{summary.get('studies', 0)} studies"
            )
        else:
            verdict = "within" if summary.get("within_rto") else "beyond"
            result = (
                f"{check['files']} files restored, full restore about "
                f"{summary.get('estimated_hours', 0):.1f} h ({verdict} RTO of "
                f"{summary.get('rto_hours', 0):g} h)"
            )
        started = check["started_at"]
        when = started.strftime("%Y-%m-%d") if isinstance(started, dt.datetime) else str(started)
        rows.append([when, check["asset_id"], check["kind"].replace("_", " "), result])
    return rows


def resilience_section(source: SectionSource) -> ReportSection | None:
    from imagewarden.contracts import ReportSection

    store = source.store
    if not source.sites:
        return None
    data = shipped()
    plans = plan_sites(store, source.sites, source.assets)
    members = team(store)
    staffed = {m["role"] for m in members}
    today = dt.datetime.now(dt.UTC).date()
    drill_rows = []
    for drill in drill_records.drills(store):
        status = "finished" if drill.finished_at else "running" if drill.started_at else "scheduled"
        drill_rows.append([str(drill.scheduled_for), drill.site_id, drill.title, status])
    item_rows = [
        [item.text, item.owner, str(item.due), "overdue" if item.overdue(today) else "open"]
        for item in drill_records.items(store)
        if item.kind == "improvement" and item.done_on is None
    ]
    return ReportSection(
        key="resilience",
        title="Resilience: backups, recovery, drills",
        template="resilience/section.html.j2",
        data={
            "backups": _backup_rows(store),
            "plans": [
                {
                    "site": p.site.name,
                    "critical_hours": round(p.critical_hours),
                    "within": p.within_target,
                    "order": [s.service.title for s in p.steps],
                    "gaps": list(p.gaps),
                }
                for p in plans
                if any(s.assets for s in p.steps)
            ],
            "drills": drill_rows,
            "improvements": item_rows,
            "roles": [[r.title, "yes" if r.id in staffed else "no"] for r in data.roles.values()],
            "playbooks": [p.title for p in data.playbooks.values()],
        },
    )
