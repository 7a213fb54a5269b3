"""The governance capability's application API: one typed function per operation.

The command line, the web workspace and the site workers call these and nothing else. They
take a workspace (the store, the catalog, who acts and the capabilities' improvement actions)
and typed inputs, print nothing, raise ``UserInputError`` for bad input, and return frozen
results. Writes a person makes (an answer, an import, a plan edit, a sync) are audited with
``workspace.actor``: one audit entry per operation, not per row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from imagewarden.catalog import Catalog
from imagewarden.contracts import ImprovementAction
from imagewarden.governance.answers import (
    EXPORT_HEADER,
    TEMPLATE_HEADER,
    answer_rows,
    check_answer,
    read_answers,
    template_rows,
)
from imagewarden.governance.checklists import find_checklist
from imagewarden.governance.crosswalk import CSV_HEADER as CROSSWALK_HEADER
from imagewarden.governance.crosswalk import FrameworkCoverage, crosswalk_rows
from imagewarden.governance.crosswalk import crosswalk as build_crosswalk
from imagewarden.governance.culture import read_gophish_csv, read_gophish_json, read_training
from imagewarden.governance.defectdojo import defectdojo_findings
from imagewarden.governance.interface import (
    AnswerRecord,
    CultureSource,
    CultureTargets,
    ImportOutcome,
    PlanItem,
    PlanSource,
    PlanStatus,
    WrittenFiles,
)
from imagewarden.governance.maturity import RULES, FunctionMaturity, snapshot_rows, trend_chart
from imagewarden.governance.maturity import maturity as levels_of
from imagewarden.governance.metrics import MetricValue, culture_metrics, misses
from imagewarden.governance.oscal import write_oscal_files
from imagewarden.governance.overview import TrendPoint, maturity_trend
from imagewarden.governance.poam import CSV_HEADER as PLAN_HEADER
from imagewarden.governance.poam import (
    QuarterlyReview,
    derive_plan,
    edited_item,
    merge_item,
    plan_order,
    plan_rows,
    quarterly_review,
)
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import UserInputError
from imagewarden.model.checklist import Answer, Checklist
from imagewarden.readers.text import checked_text, excerpt
from imagewarden.render.atomic import write_text_atomic
from imagewarden.render.csv import Cell, csv_text, write_csv
from imagewarden.store import Store


class GovernanceWorkspace(Protocol):
    """What governance needs of a workspace (``imagewarden.app.Workspace`` provides it)."""

    store: Store
    catalog: Catalog
    actor: str

    def improvement_actions(self) -> list[ImprovementAction]:
        """Improvements other capabilities ask the plan of action to track."""
        ...


@dataclass(frozen=True, slots=True)
class CsvDocument:
    """A CSV the tool writes: a header and rows, every cell neutralised on the way out."""

    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def text(self) -> str:
        """The whole document as text."""
        return csv_text(self.header, self.rows)

    def write(self, path: Path) -> Path:
        """Write the document to ``path`` atomically (a new file is owner-only)."""
        _writable_file(path)
        write_csv(path, self.header, self.rows)
        return path


def _writable_file(path: Path) -> None:
    if path.is_dir():
        raise UserInputError("is a directory; give a file name", hint=str(path))
    if not path.parent.exists():
        raise UserInputError(f"folder {path.parent} does not exist")


def _gov(workspace: GovernanceWorkspace) -> GovernanceStore:
    return GovernanceStore(workspace.store)


def _site_ids(workspace: GovernanceWorkspace) -> list[str]:
    return [s.id for s in workspace.store.sites()]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- checklists ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChecklistSummary:
    """One checklist of the catalog, as a listing shows it."""

    id: str
    name: str
    """The short name commands take (``executive``, ``pacs-informatics``, ...)."""
    audience: str
    questions: int
    title: str


def list_checklists(workspace: GovernanceWorkspace) -> list[ChecklistSummary]:
    """Every checklist of the catalog."""
    return [
        ChecklistSummary(c.id, c.id.rsplit(":", 1)[-1], c.audience.value, len(c.questions), c.title)
        for c in workspace.catalog.checklists.values()
    ]


def checklist(workspace: GovernanceWorkspace, name: str) -> Checklist:
    """One checklist by URN, short name or audience; an unknown name is a user error."""
    chosen = find_checklist(workspace.catalog, name)
    if chosen is None:
        names = ", ".join(c.name for c in list_checklists(workspace))
        raise UserInputError(f"no checklist {excerpt(name)}", hint=f"known: {names}")
    return chosen


def answer_question(
    workspace: GovernanceWorkspace,
    question: str,
    answer: Answer,
    *,
    site: str,
    owner: str,
    evidence: str = "",
    due: dt.date | None = None,
    answered: dt.date | None = None,
    notes: str = "",
) -> AnswerRecord:
    """Record one answer (kept with its history; audited). Findings follow at the next
    assessment."""

    for what, value in (
        ("--site", site),
        ("the question", question),
        ("--owner", owner),
        ("--evidence", evidence),
        ("--notes", notes),
    ):
        checked_text(value, what)
    record = AnswerRecord(
        site_id=site,
        question_id=question,
        answer=answer,
        owner=owner,
        evidence=evidence,
        answered_on=answered or _today(),
        due_on=due,
        notes=notes,
    )
    problem = check_answer(record, workspace.catalog, _site_ids(workspace))
    if problem is not None:
        raise UserInputError(problem[1], hint=f"--{problem[0]}")
    _gov(workspace).add_answers(
        [record], actor=workspace.actor, action="checklist.answer", target=f"{site}:{question}"
    )
    return record


def import_answers(
    workspace: GovernanceWorkspace, path: Path, *, today: dt.date | None = None
) -> ImportOutcome:
    """Import an answers CSV, all or nothing (one audit entry)."""
    records = read_answers(path, workspace.catalog, _site_ids(workspace), today or _today())
    added = _gov(workspace).add_answers(
        records, actor=workspace.actor, action="checklist.import", target=path.name[:300]
    )
    return ImportOutcome(path.name, len(records), added, "answers")


def current_answers(workspace: GovernanceWorkspace) -> list[AnswerRecord]:
    """The latest answer per site and question."""
    return _gov(workspace).current_answers()


def answers_document(workspace: GovernanceWorkspace) -> CsvDocument:
    """The current answers as CSV, in the import format (importable again)."""
    return CsvDocument(EXPORT_HEADER, tuple(answer_rows(current_answers(workspace))))


def template_document(workspace: GovernanceWorkspace, name: str | None = None) -> CsvDocument:
    """A blank answer sheet: one row per site and question (of one checklist, if named)."""
    ids = {} if name is None else {(chosen := checklist(workspace, name)).id: chosen.title}
    rows = template_rows(workspace.catalog, _site_ids(workspace), ids)
    return CsvDocument(TEMPLATE_HEADER, tuple(rows))


# --- crosswalk and maturity ----------------------------------------------------------------


def crosswalk(workspace: GovernanceWorkspace) -> list[FrameworkCoverage]:
    """How every framework stands against the current answers and findings."""
    return build_crosswalk(
        workspace.catalog, current_answers(workspace), workspace.store.findings()
    )


def framework(coverage: Sequence[FrameworkCoverage], name: str) -> FrameworkCoverage:
    """One framework of a crosswalk by id; an unknown id is a user error."""
    chosen = next((fw for fw in coverage if fw.framework == name), None)
    if chosen is None:
        known = ", ".join(fw.framework for fw in coverage)
        raise UserInputError(f"unknown framework {excerpt(name)}", hint=f"known: {known}")
    return chosen


def crosswalk_document(coverage: Sequence[FrameworkCoverage]) -> CsvDocument:
    """One CSV row per requirement of every framework."""
    return CsvDocument(CROSSWALK_HEADER, tuple(crosswalk_rows(coverage)))


@dataclass(frozen=True, slots=True)
class MaturityReport:
    """CSF tiers per function and site, the rules that give them, and their history."""

    levels: tuple[FunctionMaturity, ...]
    rules: tuple[str, ...]
    trend: tuple[TrendPoint, ...]
    recorded_on: dt.date | None
    """The day recorded to the history, when asked to record."""


def maturity(
    workspace: GovernanceWorkspace, *, record: bool = False, today: dt.date | None = None
) -> MaturityReport:
    """Today's tiers; with ``record`` they are stored to the history (audited)."""
    today = today or _today()
    gov = _gov(workspace)
    levels = levels_of(workspace.catalog, gov.current_answers(), _site_ids(workspace), today)
    if record:
        gov.record_maturity(snapshot_rows(levels, today), actor=workspace.actor)
    points = tuple(maturity_trend(workspace.store))
    return MaturityReport(tuple(levels), RULES, points, today if record else None)


def write_maturity_chart(report: MaturityReport, path: Path) -> Path:
    """Write the trend of the average tier as SVG."""
    _writable_file(path)
    svg = trend_chart(
        [(p.day, p.value) for p in report.trend],
        chart_id="maturity-trend",
        title="Average CSF implementation tier per assessment",
        axes=True,
    )
    write_text_atomic(path, svg)
    return path


# --- culture -------------------------------------------------------------------------------


def import_training(workspace: GovernanceWorkspace, path: Path) -> ImportOutcome:
    """Import a learning system's completion export (people hashed; one audit entry)."""
    records = read_training(path)
    merged = _gov(workspace).add_training(records, path.name[:300], actor=workspace.actor)
    return ImportOutcome(
        path.name, len(records), merged.added, "training records", updated=merged.updated
    )


def import_gophish(
    workspace: GovernanceWorkspace, path: Path, *, campaign: str | None = None, site: str = ""
) -> ImportOutcome:
    """Import a GoPhish campaign: its results CSV, or the JSON of its API (``.json``).

    Idempotent by content: an export of a campaign already stored (same recipients sent an
    e-mail at the same instants) updates that campaign, whatever the file is called; a CSV
    imported without ``campaign`` keeps the stored campaign's name."""
    named = campaign is not None or path.suffix.lower() == ".json"
    if path.suffix.lower() == ".json":
        result = read_gophish_json(path, site_id=site)
    else:
        result = read_gophish_csv(path, name=campaign, site_id=site)
    merged = _gov(workspace).save_campaign(result, actor=workspace.actor, rename=named)
    stored = next(c.name for c in _gov(workspace).campaigns() if c.id == merged.campaign_id)
    return ImportOutcome(
        path.name, len(result.results), merged.added, "recipients", stored, merged.updated
    )


def import_culture(
    workspace: GovernanceWorkspace,
    kind: CultureSource,
    path: Path,
    *,
    campaign: str | None = None,
    site: str = "",
) -> ImportOutcome:
    """Import one culture file of the given kind."""
    if kind is CultureSource.TRAINING:
        return import_training(workspace, path)
    return import_gophish(workspace, path, campaign=campaign, site=site)


@dataclass(frozen=True, slots=True)
class CultureReport:
    """Every culture metric per department and quarter, and those that miss their target."""

    values: tuple[MetricValue, ...]
    misses: tuple[MetricValue, ...]
    """Metrics of the latest quarter that miss their target with enough people."""


def culture_report(
    workspace: GovernanceWorkspace, targets: CultureTargets = CultureTargets()
) -> CultureReport:
    """Completion, click and report rates and time to report, against ``targets``."""
    gov = _gov(workspace)
    values = culture_metrics(gov.training(), gov.campaigns(), targets)
    return CultureReport(tuple(values), tuple(misses(values, targets)))


CULTURE_HEADER = ("metric", "department", "quarter", "value", "sample", "target", "meets_target")


def culture_document(report: CultureReport) -> CsvDocument:
    """Every culture value as CSV."""
    rows = tuple(
        (v.metric, v.department, v.quarter, v.value, v.sample, v.target, v.meets_target)
        for v in report.values
    )
    return CsvDocument(CULTURE_HEADER, rows)


# --- plan of action ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanSync:
    """The plan after a sync, and what the sync changed."""

    items: tuple[PlanItem, ...]
    """Every item, overdue first, then open, accepted and closed."""
    added: int
    updated: int
    closed: int
    conflicts: int
    """Items a person edited while the sync ran; their edits were kept."""

    @property
    def active(self) -> tuple[PlanItem, ...]:
        """Items not closed."""
        return tuple(i for i in self.items if i.status.active)


def sync_plan(workspace: GovernanceWorkspace, *, today: dt.date | None = None) -> PlanSync:
    """Bring the plan in line with current findings, unanswered questions and improvement
    actions: add, refresh and close items in place, keeping every field a person set."""

    today = today or _today()
    gov = _gov(workspace)
    store = workspace.store
    seen = {i.id: i.revision for i in gov.plan_items()}
    derived = derive_plan(
        store.findings(),
        gov.current_answers(),
        workspace.catalog,
        _site_ids(workspace),
        store.assets(),
        today,
        improvements=workspace.improvement_actions(),
    )
    written = gov.write_plan(
        derived,
        seen,
        lambda stored, fresh: merge_item(stored, fresh, today),
        actor=workspace.actor,
    )
    items = tuple(sorted(gov.plan_items(), key=plan_order))
    return PlanSync(items, written.added, written.updated, written.closed, written.conflicts)


def plan_items(workspace: GovernanceWorkspace) -> list[PlanItem]:
    """The plan as stored (no sync), in plan order."""
    return sorted(_gov(workspace).plan_items(), key=plan_order)


def plan_review(
    workspace: GovernanceWorkspace,
    *,
    today: dt.date | None = None,
    items: Sequence[PlanItem] | None = None,
) -> QuarterlyReview:
    """The quarterly review of the plan (of ``items``, or of the stored plan)."""
    return quarterly_review(plan_items(workspace) if items is None else items, today or _today())


EDITABLE_STATUSES = (PlanStatus.OPEN, PlanStatus.RISK_ACCEPTED, PlanStatus.CLOSED)
"""Statuses a person may set; "overdue" follows from the due date."""


def edit_plan_item(
    workspace: GovernanceWorkspace,
    item_id: str,
    *,
    owner: str | None = None,
    due: dt.date | None = None,
    status: PlanStatus | None = None,
    milestone: str | None = None,
    expected_revision: int | None = None,
    today: dt.date | None = None,
) -> PlanItem:
    """Change a plan item's owner, due date, status or milestone (audited).

    ``item_id`` may be any unique prefix. The fields given become the person's: no sync
    changes them afterwards. With ``expected_revision``, the edit is refused if the item
    changed since that revision was read.
    """

    if owner is None and due is None and status is None and milestone is None:
        raise UserInputError("nothing to change", hint="--owner, --due, --status or --milestone")
    if owner is not None:
        owner = _person_text(owner, "owner", 200)
    if milestone is not None:
        milestone = _person_text(milestone, "milestone", 300)
    if status is not None and status not in EDITABLE_STATUSES:
        allowed = ", ".join(s.value for s in EDITABLE_STATUSES)
        raise UserInputError(
            f"a person sets the status to {allowed}",
            hint="an item is overdue when its due date has passed",
        )
    today = today or _today()
    gov = _gov(workspace)
    full = gov.resolve_plan_item(item_id)
    return gov.edit_plan_item(
        full,
        lambda item: edited_item(
            item, today, owner=owner, due=due, status=status, milestone=milestone
        ),
        expected_revision=expected_revision,
        actor=workspace.actor,
    )


def _person_text(value: str, name: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text:
        raise UserInputError(f"the {name} may not be empty", hint=f"--{name}")
    if len(text) > limit:
        raise UserInputError(f"the {name} is longer than {limit} characters", hint=f"--{name}")
    return text


def plan_document(items: Sequence[PlanItem]) -> CsvDocument:
    """The plan as CSV."""
    return CsvDocument(PLAN_HEADER, tuple(plan_rows(items)))


# --- exports -------------------------------------------------------------------------------


def export_oscal(
    workspace: GovernanceWorkspace, out_dir: Path, *, title: str, now: dt.datetime | None = None
) -> WrittenFiles:
    """Write OSCAL ``assessment-results.json`` and ``poam.json`` into ``out_dir``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError("exists and is not a folder", hint=str(out_dir))
    store = workspace.store
    run = store.latest_assessment()
    paths = write_oscal_files(
        store.findings(),
        _gov(workspace).plan_items(),
        workspace.catalog,
        out_dir,
        title=title,
        started=run.started_at if run else None,
        now=now,
    )
    return WrittenFiles(tuple(paths))


def defectdojo_document(workspace: GovernanceWorkspace) -> dict[str, Any]:
    """Every finding as DefectDojo "Generic Findings Import" JSON, with the plan's dates."""
    due = {
        i.source_id: i.due_on.isoformat()
        for i in _gov(workspace).plan_items()
        if i.source_kind is PlanSource.FINDING and i.due_on is not None
    }
    return defectdojo_findings(workspace.store.findings(), workspace.catalog, due)


def export_defectdojo(workspace: GovernanceWorkspace, out: Path) -> Path:
    """Write the DefectDojo JSON to ``out`` atomically (a new file is owner-only)."""
    _writable_file(out)
    write_text_atomic(out, json.dumps(defectdojo_document(workspace), indent=2) + "\n")
    return out
