"""The report's "Resilience" section: backup checks, recovery plans, drills and the IR team."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imagewarden.render.labels import format_hours
from imagewarden.resilience.data import resilience_data
from imagewarden.resilience.planning import MEASURED_FACT, measured_hours, plan_sites
from imagewarden.resilience.records import BackupCheck, BackupCheckKind
from imagewarden.resilience.store.repository import ResilienceRepository

if TYPE_CHECKING:
    from imagewarden.contracts import ReportSection, SectionSource


def _backup_row(check: BackupCheck) -> list[Any]:
    summary = check.summary
    if check.kind is BackupCheckKind.VERIFY:
        result = (
            f"{check.files} files, {check.problem_files} with problems, "
            f"{summary.get('studies', 0)} studies"
        )
    else:
        verdict = "within" if summary.get("within_rto") else "beyond"
        result = (
            f"{check.files} files restored, full restore about "
            f"{format_hours(float(summary.get('estimated_hours', 0)))} ({verdict} RTO of "
            f"{summary.get('rto_hours', 0):g} h)"
        )
        # failed files are a verdict of their own, never folded into the RTO one
        if summary.get("failed"):
            result += f"; {summary['failed']} restored files failed verification"
    when = check.started_at.strftime("%Y-%m-%d")
    return [when, check.asset_id, check.kind.value.replace("_", " "), result]


def resilience_section(source: SectionSource) -> ReportSection | None:
    """The section, or None when the inventory has no site."""
    from imagewarden.contracts import ReportSection

    if not source.sites:
        return None
    store = source.store
    records = ResilienceRepository(store)
    data = resilience_data(source.catalog)
    measured = measured_hours(records.latest_facts(MEASURED_FACT))
    plans = plan_sites(source.sites, source.assets, data.services, measured)
    staffed = {m.role for m in records.team()}
    today = source.now.date()
    drills = records.drills()
    site_names = {s.id: s.name for s in source.sites}  # sites by name, as in every table
    drill_rows = [
        [str(d.scheduled_for), site_names.get(d.site_id, d.site_id), d.title, d.state.value]
        for d in drills
    ]
    item_rows = [
        [item.text, item.owner, str(item.due), "overdue" if item.overdue(today) else "open"]
        for item in records.drill_items()
        if item.is_open_improvement
    ]
    return ReportSection(
        key="resilience",
        title="Resilience: backups, recovery, drills",
        template="resilience/section.html.j2",
        data={
            "backups": [_backup_row(c) for c in records.backup_checks(limit=20)],
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
