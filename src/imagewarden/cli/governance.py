"""Governance commands: ``checklist``, ``crosswalk``, ``maturity``, ``culture``, ``poam`` and
the ``export oscal`` / ``export defectdojo`` exports.

Parse the options, call ``imagewarden.governance.api``, render the result: tables and data on
stdout, messages on stderr, the paths of written files on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from imagewarden.cli.formats import FormatOption, ListFormat, print_paths
from imagewarden.cli.formats import JsonAlias as JsonFlag
from imagewarden.cli.options import DATE, parse_date
from imagewarden.cli.state import err, out, state
from imagewarden.governance import api
from imagewarden.governance.answers import parse_answer
from imagewarden.governance.interface import (
    CultureSource,
    CultureTargets,
    ImportOutcome,
    PlanItem,
    PlanStatus,
)
from imagewarden.governance.maturity import FUNCTION_NAMES, TIER_NAMES
from imagewarden.governance.metrics import METRICS, MetricValue, format_value
from imagewarden.model import UserInputError
from imagewarden.model.checklist import CSF_FUNCTIONS

checklist_app = typer.Typer(
    help="Leadership checklists: list, answer, import, export.", no_args_is_help=True
)
culture_app = typer.Typer(
    help="Training and phishing results: import and report.", no_args_is_help=True
)
poam_app = typer.Typer(
    help="Plan of action and milestones: sync and list (no subcommand), edit one item.",
    invoke_without_command=True,
)

STDOUT = Path("-")
"""``-o -`` (or ``--csv -``): write the document to stdout instead of a file."""


def _format(fmt: ListFormat, json_flag: bool) -> ListFormat:
    return ListFormat.JSON if json_flag else fmt


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _json(value: Any) -> None:
    out.file.write(json.dumps(value, indent=2) + "\n")


def _emit(document: api.CsvDocument, path: Path | None, what: str) -> None:
    """A CSV document to stdout (no path, or ``-``) or to a file whose path is printed."""
    if path is None or path == STDOUT:
        out.file.write(document.text())
        return
    written = document.write(path)
    err.print(f"{what} written")
    print_paths([written])


def _one_output(csv_path: Path | None, as_json: bool) -> bool:
    """Whether the command's CSV document is its output: stdout holds one thing, the CSV
    (``--csv -``), the path of the CSV file written, or the listing (table or JSON)."""
    if csv_path is not None and as_json:
        raise UserInputError("give --format json or --csv, not both")
    return csv_path is not None


def _imported(outcome: ImportOutcome) -> None:
    name = f" {outcome.name!r}:" if outcome.name else ""
    err.print(
        f"imported{name} {outcome.read} {outcome.what} from {outcome.source}: "
        f"{outcome.added} new, {outcome.updated} changed, {outcome.unchanged} already stored"
    )


# --- checklist -----------------------------------------------------------------------------


@checklist_app.command("list")
def checklist_list(
    ctx: typer.Context,
    checklist: Annotated[str | None, typer.Option(help="executive, pacs-informatics, ...")] = None,
    fmt: FormatOption = ListFormat.TABLE,
    json_flag: JsonFlag = False,
) -> None:
    """List the checklists, or the questions of one checklist."""
    workspace = state(ctx).workspace()
    as_json = _format(fmt, json_flag) is ListFormat.JSON
    table = Table()
    if checklist is None:
        summaries = api.list_checklists(workspace)
        if as_json:
            _json(
                [
                    {
                        "id": c.id,
                        "checklist": c.name,
                        "audience": c.audience,
                        "questions": c.questions,
                        "title": c.title,
                    }
                    for c in summaries
                ]
            )
            return
        for column in ("checklist", "audience", "questions", "title"):
            table.add_column(column)
        for c in summaries:
            table.add_row(c.name, c.audience, str(c.questions), c.title)
    else:
        chosen = api.checklist(workspace, checklist)
        if as_json:
            _json(
                [
                    {
                        "question": q.id,
                        "function": q.function,
                        "severity": q.severity.value,
                        "text": q.text,
                    }
                    for q in chosen.questions
                ]
            )
            return
        for column in ("question", "function", "severity", "text"):
            table.add_column(column)
        for q in chosen.questions:
            table.add_row(q.id, q.function, q.severity.value, q.text)
    out.print(table)


@checklist_app.command("answer")
def checklist_answer(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="Question id, e.g. exec-01.")],
    answer: Annotated[str, typer.Option(help="yes, partial, no or not_applicable.")],
    site: Annotated[str, typer.Option(help="Site id from the inventory.")],
    owner: Annotated[str, typer.Option(help="Role or team that owns the answer.")],
    evidence: Annotated[str, typer.Option(help="File path or link to the evidence.")] = "",
    due: Annotated[
        dt.date | None, typer.Option(parser=parse_date, metavar=DATE, help="Due date.")
    ] = None,
    answered: Annotated[
        dt.date | None,
        typer.Option(parser=parse_date, metavar=DATE, help="Answer date (default today)."),
    ] = None,
    notes: Annotated[str, typer.Option()] = "",
) -> None:
    """Record one answer (kept with its history)."""
    try:
        value = parse_answer(answer)
    except ValueError as exc:
        raise UserInputError(str(exc), hint="--answer") from None
    record = api.answer_question(
        state(ctx).workspace(),
        question,
        value,
        site=site,
        owner=owner,
        evidence=evidence,
        due=due,
        answered=answered,
        notes=notes,
    )
    err.print(
        f"recorded {record.question_id} = {record.answer.value} at {record.site_id}; "
        "run 'imagewarden assess' to update findings"
    )


@checklist_app.command("import")
def checklist_import(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="Answers CSV file.")]
) -> None:
    """Import answers from a CSV file (all or nothing); see docs for the columns."""
    _imported(api.import_answers(state(ctx).workspace(), path))


@checklist_app.command("export")
def checklist_export(
    ctx: typer.Context,
    out_path: Annotated[
        Path | None, typer.Option("-o", "--out", help="CSV file ('-' or none: stdout).")
    ] = None,
    template: Annotated[bool, typer.Option(help="Blank answer sheet for every site.")] = False,
    checklist: Annotated[str | None, typer.Option(help="Only this checklist (template).")] = None,
) -> None:
    """Export the current answers (or a blank answer sheet) as CSV."""
    workspace = state(ctx).workspace()
    if template:
        _emit(api.template_document(workspace, checklist), out_path, "answer sheet")
    else:
        _emit(api.answers_document(workspace), out_path, "answers")


# --- crosswalk and maturity ----------------------------------------------------------------


def crosswalk(
    ctx: typer.Context,
    framework: Annotated[
        str | None, typer.Option(help="Show one framework's requirements.")
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write the full CSV here ('-': stdout).")
    ] = None,
    output: FormatOption = ListFormat.TABLE,
) -> None:
    """Coverage of NIST CSF 2.0, HPH CPGs, HICP and HIPAA by answers, safeguards and findings."""
    coverage = api.crosswalk(state(ctx).workspace())
    chosen = api.framework(coverage, framework) if framework is not None else None
    if _one_output(csv_path, output is ListFormat.JSON):
        _emit(api.crosswalk_document(coverage), csv_path, "crosswalk")
        return
    if output is ListFormat.JSON:
        document = api.crosswalk_document(coverage if chosen is None else [chosen])
        _json([dict(zip(document.header, row, strict=True)) for row in document.rows])
        return
    table = Table()
    if chosen is None:
        table.add_column("framework", no_wrap=True)
        for column in ("score", "cited", "met", "partial", "gap", "not assessed", "not covered"):
            table.add_column(column)
        for fw in coverage:
            table.add_row(
                fw.framework,
                "-" if fw.score is None else f"{fw.score:.0f}",
                f"{fw.coverage:.0f}%",
                *(
                    str(fw.count(s))
                    for s in ("met", "partial", "gap", "not assessed", "not covered")
                ),
            )
    else:
        table.add_column("requirement", no_wrap=True)
        for column in ("status", "questions", "findings", "title"):
            table.add_column(column)
        for r in chosen.requirements:
            table.add_row(r.id, r.status, " ".join(r.questions), str(r.findings), r.title)
    out.print(table)


def maturity_command(
    ctx: typer.Context,
    record: Annotated[bool, typer.Option(help="Save today's tiers to the history.")] = False,
    chart: Annotated[Path | None, typer.Option(help="Write the trend chart (SVG) here.")] = None,
) -> None:
    """CSF implementation tiers (1-4) per function and site, derived from the answers."""
    report = api.maturity(state(ctx).workspace(), record=record)
    if report.recorded_on is not None:
        err.print(f"recorded maturity of {report.recorded_on}")
    table = Table()
    table.add_column("site")
    for f in CSF_FUNCTIONS:
        table.add_column(f"{f} {FUNCTION_NAMES[f]}")
    by_site: dict[str, dict[str, str]] = {}
    for m in report.levels:
        by_site.setdefault(m.site_id, {})[m.function] = (
            f"{m.tier} {TIER_NAMES[m.tier]} ({m.score:.2f}, {m.answered}/{m.questions})"
        )
    for site, cells in by_site.items():
        table.add_row(site, *(cells[f] for f in CSF_FUNCTIONS))
    (out if chart is None else err).print(table)  # with --chart, stdout holds its path
    for rule in report.rules:
        err.print(f"  {rule}")
    if report.trend:
        err.print(
            "history (average tier): " + ", ".join(f"{p.label} {p.value}" for p in report.trend)
        )
    if chart is not None:
        written = api.write_maturity_chart(report, chart)
        err.print("trend chart written")
        print_paths([written])


# --- culture -------------------------------------------------------------------------------


@culture_app.command("import")
def culture_import(
    ctx: typer.Context,
    kind: Annotated[CultureSource, typer.Argument(help="training or gophish")],
    path: Annotated[
        Path, typer.Argument(help="CSV (training, GoPhish results) or JSON (GoPhish API).")
    ],
    campaign: Annotated[str | None, typer.Option(help="Campaign name (GoPhish CSV).")] = None,
    site: Annotated[str, typer.Option(help="Site the records belong to, if one.")] = "",
) -> None:
    """Import training completion or GoPhish campaign results (names and e-mails are hashed)."""
    outcome = api.import_culture(state(ctx).workspace(), kind, path, campaign=campaign, site=site)
    _imported(outcome)


def _metric_json(v: MetricValue) -> dict[str, Any]:
    return {
        "metric": v.metric,
        "department": v.department,
        "quarter": v.quarter,
        "value": v.value,
        "sample": v.sample,
        "target": v.target,
        "meets_target": v.meets_target,
    }


@culture_app.command("report")
def culture_report(
    ctx: typer.Context,
    completion_target: Annotated[float, typer.Option(help="Minimum completion rate.")] = 0.90,
    click_target: Annotated[float, typer.Option(help="Maximum click rate.")] = 0.10,
    report_target: Annotated[float, typer.Option(help="Minimum report rate.")] = 0.50,
    minutes_target: Annotated[float, typer.Option(help="Maximum median minutes to report.")] = 60,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write every value here ('-': stdout).")
    ] = None,
    fmt: FormatOption = ListFormat.TABLE,
    json_flag: JsonFlag = False,
) -> None:
    """Completion, click, report rate and time to report per department and quarter."""
    targets = CultureTargets(completion_target, click_target, report_target, minutes_target)
    report = api.culture_report(state(ctx).workspace(), targets)
    if _one_output(csv_path, _format(fmt, json_flag) is ListFormat.JSON):
        _emit(api.culture_document(report), csv_path, "culture metrics")
        return
    if _format(fmt, json_flag) is ListFormat.JSON:
        _json([_metric_json(v) for v in report.values])
    elif not report.values:
        err.print("no training or phishing records; see 'imagewarden culture import'")
    else:
        table = Table()
        for column in ("metric", "department", "quarter", "value", "sample", "target", "meets"):
            table.add_column(column)
        for v in report.values:
            table.add_row(
                METRICS[v.metric][0],
                v.department,
                v.quarter,
                format_value(v.metric, v.value),
                str(v.sample),
                format_value(v.metric, v.target),
                {True: "yes", False: "NO", None: "-"}[v.meets_target],
            )
        out.print(table)
        err.print(f"{len(report.misses)} metrics miss their target in the latest quarter")


# --- plan of action ------------------------------------------------------------------------

_SHOWN_ITEMS = 50


def _item_json(i: PlanItem) -> dict[str, Any]:
    return {
        "id": i.id,
        "status": i.status.value,
        "severity": i.severity.value,
        "site": i.site_id,
        "title": i.title,
        "owner": i.owner,
        "milestone": i.milestone,
        "due": i.due_on.isoformat() if i.due_on else None,
        "created": i.created_on.isoformat(),
        "closed": i.closed_on.isoformat() if i.closed_on else None,
        "source_kind": i.source_kind.value,
        "source_id": i.source_id,
        "revision": i.revision,
        "edited_by_person": sorted(f.value for f in i.edited),
    }


@poam_app.callback()
def poam(
    ctx: typer.Context,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write the plan as CSV ('-': stdout).")
    ] = None,
    review: Annotated[bool, typer.Option(help="Print the quarterly review.")] = False,
    fmt: FormatOption = ListFormat.TABLE,
    json_flag: JsonFlag = False,
) -> None:
    """Sync the plan of action and milestones with current findings and unanswered questions,
    then list it; 'poam edit ITEM' changes one item."""
    if ctx.invoked_subcommand is not None:
        return
    workspace = state(ctx).workspace()
    today = _today()
    synced = api.sync_plan(workspace, today=today)
    items, active = synced.items, synced.active
    if _one_output(csv_path, _format(fmt, json_flag) is ListFormat.JSON):
        _emit(api.plan_document(items), csv_path, "plan")
    elif _format(fmt, json_flag) is ListFormat.JSON:
        _json([_item_json(i) for i in items])
    else:
        table = Table()
        table.add_column("#", justify="right")
        table.add_column("id", no_wrap=True)
        for column in ("status", "severity", "due", "owner", "title"):
            table.add_column(column)
        for number, i in enumerate(active[:_SHOWN_ITEMS], start=1):
            table.add_row(
                str(number),
                i.id,
                i.status.value,
                i.severity.value,
                i.due_on.isoformat() if i.due_on else "",
                i.owner,
                i.title,
            )
        out.print(table)
    closed = len(items) - len(active)
    shown = f"; first {_SHOWN_ITEMS} shown" if len(active) > _SHOWN_ITEMS else ""
    err.print(f"{len(active)} open plan items ({closed} closed){shown}")
    if synced.conflicts:
        err.print(f"{synced.conflicts} items were edited during the sync; the edits were kept")
    if review:
        r = api.plan_review(workspace, today=today, items=items)
        err.print(
            f"quarterly review {r.quarter}: {r.opened} opened, {r.closed} closed, "
            f"{r.open_now} open ({r.overdue} overdue, {r.risk_accepted} risk accepted), "
            f"{r.due_next_quarter} due next quarter"
        )
        for owner, n in r.by_owner.items():
            err.print(f"  {owner}: {n}")


@poam_app.command("edit")
def poam_edit(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="Plan item id (poam-...), or a unique prefix.")],
    owner: Annotated[str | None, typer.Option(help="Role or team that owns the item.")] = None,
    due: Annotated[
        dt.date | None, typer.Option(parser=parse_date, metavar=DATE, help="Due date.")
    ] = None,
    status: Annotated[
        PlanStatus | None,
        typer.Option(case_sensitive=False, help="open, risk_accepted or closed."),
    ] = None,
    milestone: Annotated[str | None, typer.Option(help="Milestone or notes.")] = None,
    revision: Annotated[
        int | None, typer.Option(help="Refuse if the item changed since this revision.")
    ] = None,
) -> None:
    """Change one plan item; a later sync keeps what you set."""
    edited = api.edit_plan_item(
        state(ctx).workspace(),
        item,
        owner=owner,
        due=due,
        status=status,
        milestone=milestone,
        expected_revision=revision,
    )
    due_text = edited.due_on.isoformat() if edited.due_on else "none"
    err.print(
        f"{edited.id}: {edited.status.value}, owner {edited.owner}, due {due_text} "
        f"(revision {edited.revision})"
    )


# --- exports -------------------------------------------------------------------------------


def export_oscal(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the OSCAL JSON files.")],
    title: Annotated[str, typer.Option()] = "Imaging cybersecurity readiness",
) -> None:
    """Write OSCAL assessment-results.json and poam.json (plan of action and milestones)."""
    written = api.export_oscal(state(ctx).workspace(), out_dir, title=title)
    err.print("OSCAL written")
    print_paths(written.paths)


def export_defectdojo(
    ctx: typer.Context,
    out_path: Annotated[
        Path | None, typer.Option("-o", "--out", help="JSON file ('-' or none: stdout).")
    ] = None,
) -> None:
    """Findings as DefectDojo "Generic Findings Import" JSON."""
    workspace = state(ctx).workspace()
    if out_path is None or out_path == STDOUT:
        _json(api.defectdojo_document(workspace))
        return
    written = api.export_defectdojo(workspace, out_path)
    err.print("DefectDojo findings written")
    print_paths([written])
