"""The respond-and-recover application API: one typed function per operation.

The command line, the web workspace and site workers call these and nothing else. They take
a ``Workspace`` (or, where no database is needed, plain typed inputs), return frozen values,
print nothing and raise ``UserInputError`` (exit 2) or ``InfrastructureError`` (exit 3).
Writes a person or a worker makes are audited in the same transaction as the change.

The backup checks live in ``backup_api`` (re-exported here), so ``backup verify`` starts
without the rest of this module's imports.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.model import FactValue, UserInputError
from imagewarden.readers.text import checked_text, excerpt
from imagewarden.resilience.backup_api import (
    BackupVerification,
    FileProblem,
    ProblemSink,
    RestoreRequest,
    RestoreTestResult,
    VerifyRequest,
    apply_restore_test,
    apply_verification,
    backup_checks,
    collect_restore_test,
    collect_verification,
    compare_manifests,
    records_of,
    restore_test_backup,
    verify_backup,
)
from imagewarden.resilience.drills import (
    Drill,
    DrillEvent,
    DrillItem,
    DrillItemKind,
    DrillLogKind,
    DrillOperation,
    NewDrillItem,
    open_improvements_by_site,
)
from imagewarden.resilience.inventory_view import SiteView
from imagewarden.resilience.planning import (
    MEASURED_FACT,
    STORAGE_FACT,
    choose_site,
    measured_hours,
    plan_facts,
    plan_sites,
)
from imagewarden.resilience.records import NewTeamMember, TeamMember
from imagewarden.resilience.recovery import RecoveryPlan
from imagewarden.resilience.schema import Playbook, Role, Scenario

if TYPE_CHECKING:
    from imagewarden.app import Workspace
    from imagewarden.catalog import Catalog
    from imagewarden.resilience.data import ResilienceData

__all__ = [
    "AfterActionReport",
    "BackupVerification",
    "DrillOverview",
    "DrillReportRequest",
    "FileProblem",
    "IrPlanRequest",
    "ProblemSink",
    "RestoreRequest",
    "RestoreTestResult",
    "TabletopRequest",
    "VerifyRequest",
    "WrittenDocument",
    "add_team_member",
    "apply_restore_test",
    "apply_verification",
    "backup_checks",
    "collect_restore_test",
    "collect_verification",
    "compare_manifests",
    "complete_drill_item",
    "drill_operations",
    "drill_overview",
    "generate_tabletop",
    "latest_facts",
    "log_drill",
    "plan_recovery",
    "playbooks",
    "report_drill",
    "restore_test_backup",
    "roles",
    "scenarios",
    "schedule_drill",
    "site_view",
    "team",
    "verify_backup",
    "write_ir_plan",
]

logger = logging.getLogger(__name__)

_MAX_NAME = 200
_MAX_TITLE = 300
_MAX_SCENARIO = 100
_MAX_TEXT = 10_000


def _text(value: str, what: str, *, limit: int, required: bool = True) -> str:
    """User text as it may be stored: trimmed, bounded, no control characters (a NUL is
    stored by SQLite and refused by PostgreSQL: both refuse it here the same way)."""
    text = value.strip()
    if required and not text:
        raise UserInputError(f"{what} is empty")
    checked_text(text, what, line_breaks=False)
    if len(text) > limit:
        raise UserInputError(f"{what} is longer than {limit} characters")
    return text


# The store and the catalog's resilience data are imported when first used.


def _data(workspace: Workspace) -> ResilienceData:
    return _catalog_data(workspace.catalog)


def _catalog_data(catalog: Catalog) -> ResilienceData:
    from imagewarden.resilience.data import resilience_data

    return resilience_data(catalog)


def latest_facts(workspace: Workspace, name: str) -> dict[str, FactValue]:
    """Subject id -> the newest observed value of fact ``name`` (any source)."""
    return records_of(workspace).latest_facts(name)


# --- recovery planning --------------------------------------------------------------------


def plan_recovery(
    workspace: Workspace,
    site_id: str | None = None,
    *,
    record: bool = True,
    now: dt.datetime | None = None,
) -> list[RecoveryPlan]:
    """Restore order and time to recover per site; with ``record``, each site's estimate
    becomes facts, so the next assessment raises findings on gaps."""
    store = workspace.store
    sites = store.sites()
    if site_id is not None:
        sites = [s for s in sites if s.id == site_id]
        if not sites:
            raise UserInputError(f"no site {excerpt(site_id)} in the inventory")
    measured = measured_hours(latest_facts(workspace, MEASURED_FACT))
    plans = plan_sites(sites, store.assets(), _data(workspace).services, measured)
    if record and plans:
        store.apply_observations(plan_facts(plans, now or dt.datetime.now(dt.UTC)))
    return plans


# --- incident response --------------------------------------------------------------------


def roles(catalog: Catalog) -> list[Role]:
    """The incident response roles of the catalog, top of the contact tree first."""
    return list(_catalog_data(catalog).roles.values())


def playbooks(catalog: Catalog) -> list[Playbook]:
    """The playbooks of the catalog."""
    return list(_catalog_data(catalog).playbooks.values())


def scenarios(catalog: Catalog) -> list[Scenario]:
    """The tabletop scenarios of the catalog."""
    return list(_catalog_data(catalog).scenarios.values())


def add_team_member(workspace: Workspace, member: NewTeamMember) -> TeamMember:
    """``ir team add``: a person (or rota) in a role, for one site or every site (audited)."""
    known = _data(workspace).roles
    if member.role not in known:
        raise UserInputError(
            f"unknown role {excerpt(member.role)}", hint=f"roles: {', '.join(known)}"
        )
    if member.rank < 1:
        raise UserInputError("the rank counts from 1 (the first to call)", hint="--rank")
    if member.site_id and member.site_id not in {s.id for s in workspace.store.sites()}:
        raise UserInputError(f"no site {excerpt(member.site_id)} in the inventory", hint="--site")
    clean = NewTeamMember(
        role=member.role,
        name=_text(member.name, "the name", limit=_MAX_NAME),
        contact=_text(member.contact, "the contact", limit=_MAX_NAME, required=False),
        rank=member.rank,
        site_id=member.site_id,
    )
    return records_of(workspace).add_team_member(workspace.actor, clean)


def team(workspace: Workspace) -> list[TeamMember]:
    """``ir team list``: every member, by role and call order."""
    return records_of(workspace).team()


def site_view(workspace: Workspace, site_id: str | None) -> SiteView:
    """The named site (or the largest) with its assets grouped for incident response."""
    store = workspace.store
    assets = store.assets()
    site = choose_site(store.sites(), assets, site_id)
    storage = latest_facts(workspace, STORAGE_FACT)
    facts = {subject: {STORAGE_FACT: value} for subject, value in storage.items()}
    return SiteView.build(site, [a for a in assets if a.site_id == site.id], facts)


@dataclass(frozen=True, slots=True)
class WrittenDocument:
    """A document written for a site: what it holds and the files written."""

    site_name: str
    paths: tuple[Path, ...]
    counts: tuple[tuple[str, int], ...] = ()
    """What the document holds, e.g. (("playbooks", 6), ("unstaffed roles", 2))."""


@dataclass(frozen=True, slots=True)
class IrPlanRequest:
    """What ``ir plan`` writes."""

    out: Path
    pdf: Path | None = None
    site_id: str | None = None
    playbooks: tuple[str, ...] = ()
    """Only these playbooks (all when empty)."""


def write_ir_plan(workspace: Workspace, request: IrPlanRequest) -> WrittenDocument:
    """``ir plan``: team, contact tree, playbooks and RACI for a site, as HTML (and PDF)."""
    from imagewarden.resilience.ir import build_plan
    from imagewarden.resilience.render import render_html, write_outputs

    data = _data(workspace)
    unknown = [p for p in request.playbooks if p not in data.playbooks]
    if unknown:
        raise UserInputError(
            f"unknown playbook {excerpt(unknown[0])}",
            hint=f"playbooks: {', '.join(data.playbooks)}",
        )
    view = site_view(workspace, request.site_id)
    plan = build_plan(view, data, team(workspace), request.playbooks)
    html = render_html("ir_plan.html.j2", plan=plan, values=view.placeholders(), generated="")
    paths = write_outputs(html, request.out, request.pdf)
    return WrittenDocument(
        view.site.name,
        paths,
        (("playbooks", len(plan.playbooks)), ("roles without a person", len(plan.unstaffed))),
    )


# --- drills -------------------------------------------------------------------------------


def schedule_drill(
    workspace: Workspace, *, site_id: str, title: str, on: dt.date, scenario: str = ""
) -> Drill:
    """``drill schedule``: a drill on the schedule, in state ``scheduled`` (audited)."""
    if site_id not in {s.id for s in workspace.store.sites()}:
        raise UserInputError(f"no site {excerpt(site_id)} in the inventory", hint="--site")
    scenario = _text(scenario, "the scenario", limit=_MAX_SCENARIO, required=False)
    if scenario:
        data = _data(workspace)
        if scenario not in data.playbooks and scenario not in data.scenarios:
            raise UserInputError(
                f"unknown scenario or playbook {excerpt(scenario)}",
                hint=f"choose from: {', '.join([*data.scenarios, *data.playbooks])}",
            )
    return records_of(workspace).schedule_drill(
        workspace.actor,
        site_id=site_id,
        title=_text(title, "the title", limit=_MAX_TITLE),
        on=on,
        scenario=scenario,
    )


@dataclass(frozen=True, slots=True)
class DrillOverview:
    """``drill list``: the schedule and the improvement items still open."""

    drills: tuple[Drill, ...]
    open_items: tuple[DrillItem, ...]
    today: dt.date


def drill_overview(workspace: Workspace, today: dt.date | None = None) -> DrillOverview:
    """Every drill by date, and the open improvement items of every drill."""
    records = records_of(workspace)
    drills = records.drills()
    items = open_improvements_by_site(drills, records.drill_items())
    open_items = sorted(
        (i for site_items in items.values() for i in site_items),
        key=lambda i: (i.drill_id, i.id),
    )
    return DrillOverview(tuple(drills), tuple(open_items), today or dt.datetime.now(dt.UTC).date())


def log_drill(
    workspace: Workspace,
    drill_id: int,
    text: str,
    kind: DrillLogKind = DrillLogKind.ACTION,
    at: dt.datetime | None = None,
) -> tuple[Drill, DrillEvent]:
    """``drill log``: an entry in the run log; the first starts the drill; a finished
    drill's log is closed (audited)."""
    clean = _text(text, "the log entry", limit=_MAX_TEXT)
    when = at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return records_of(workspace).log_drill_event(workspace.actor, drill_id, kind, clean, when)


@dataclass(frozen=True, slots=True)
class DrillReportRequest:
    """What ``drill report`` records and writes."""

    drill_id: int
    out: Path
    pdf: Path | None = None
    went_well: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()
    improvements: tuple[NewDrillItem, ...] = ()
    """Improvement items (``parse_improvement`` reads 'what | owner | YYYY-MM-DD')."""


@dataclass(frozen=True, slots=True)
class AfterActionReport:
    """What ``drill report`` did: the drill as it now is, and the files written."""

    drill: Drill
    finished_now: bool
    """False when the drill was already finished and only its report was written again."""
    paths: tuple[Path, ...]


def report_drill(
    workspace: Workspace, request: DrillReportRequest, *, now: dt.datetime | None = None
) -> AfterActionReport:
    """``drill report``: finish a running drill with its after-action items and write the
    report. A finished drill's items are closed: without new items its report is written
    again unchanged; with new items the command is refused."""
    from imagewarden.resilience.render import render_html, write_outputs

    now = now or dt.datetime.now(dt.UTC)
    items = (
        *(NewDrillItem(DrillItemKind.WENT_WELL, _text(t, "went well", limit=_MAX_TEXT))
          for t in request.went_well),
        *(NewDrillItem(DrillItemKind.GAP, _text(t, "a gap", limit=_MAX_TEXT))
          for t in request.gaps),
        *(NewDrillItem(DrillItemKind.IMPROVEMENT, _text(i.text, "an improvement",
                                                          limit=_MAX_TEXT),
                       _text(i.owner, "the owner", limit=_MAX_NAME), i.due)
          for i in request.improvements),
    )  # fmt: skip
    records = records_of(workspace)
    drill, finished_now = records.finish_drill(workspace.actor, request.drill_id, items, now)
    site = next((s for s in workspace.store.sites() if s.id == drill.site_id), None)
    html = render_html(
        "after_action.html.j2",
        drill=drill,
        site_name=site.name if site is not None else drill.site_id,
        events=records.drill_events(drill.id),
        items=records.drill_items(drill.id),
        today=now.date(),
    )
    paths = write_outputs(html, request.out, request.pdf)
    return AfterActionReport(drill, finished_now, paths)


def complete_drill_item(workspace: Workspace, item_id: int, on: dt.date) -> DrillItem:
    """``drill done``: an improvement item of a finished drill is done (audited)."""
    return records_of(workspace).complete_item(workspace.actor, item_id, on)


def drill_operations(drill: Drill) -> tuple[DrillOperation, ...]:
    """What the drill's state allows next (for faces that offer only valid actions)."""
    allowed = []
    for operation in DrillOperation:
        try:
            drill.require(operation)
        except UserInputError:
            continue
        allowed.append(operation)
    return tuple(allowed)


@dataclass(frozen=True, slots=True)
class DrillDetail:
    """One drill with its run log, its after-action items and what may happen next."""

    drill: Drill
    events: tuple[DrillEvent, ...]
    items: tuple[DrillItem, ...]
    operations: tuple[DrillOperation, ...]


def drill_detail(workspace: Workspace, drill_id: int) -> DrillDetail:
    """One drill as the drills page shows it; an unknown id is a user error."""
    records = records_of(workspace)
    drill = records.drill(drill_id)
    return DrillDetail(
        drill,
        tuple(records.drill_events(drill_id)),
        tuple(records.drill_items(drill_id)),
        drill_operations(drill),
    )


# --- tabletop -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TabletopRequest:
    """What ``tabletop generate`` writes."""

    out_dir: Path
    scenario: str = "ransomware-weekend"
    seed: int = 1
    site_id: str | None = None
    pdf: bool = True


def generate_tabletop(workspace: Workspace, request: TabletopRequest) -> WrittenDocument:
    """``tabletop generate``: an exercise package for a scenario and the real inventory."""
    from imagewarden.resilience.render import render_html, write_outputs
    from imagewarden.resilience.tabletop import generate

    data = _data(workspace)
    scenario = data.scenarios.get(request.scenario)
    if scenario is None:
        raise UserInputError(
            f"unknown scenario {excerpt(request.scenario)}",
            hint=f"scenarios: {', '.join(data.scenarios)}",
        )
    view = site_view(workspace, request.site_id)
    package = generate(scenario, view, data, request.seed)
    out_dir = request.out_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError("exists and is not a folder", hint=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_html("tabletop.html.j2", pkg=package)
    pdf = out_dir / "tabletop.pdf" if request.pdf else None
    paths = write_outputs(html, out_dir / "tabletop.html", pdf)
    return WrittenDocument(
        view.site.name,
        paths,
        (("injects", len(package.injects)), ("roles", len(package.questions))),
    )
