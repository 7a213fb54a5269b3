"""Governance commands: ``checklist``, ``crosswalk``, ``maturity``, ``culture``, ``poam``,
``export`` (OSCAL, DefectDojo) and ``board`` (the one-pager)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.cli.state import err, out, state
from imagewarden.governance.answers import (
    answers_csv,
    blank_template,
    check_answer,
    parse_answer,
    read_answers,
)
from imagewarden.governance.checklists import find_checklist
from imagewarden.governance.crosswalk import crosswalk as build_crosswalk
from imagewarden.governance.crosswalk import crosswalk_csv
from imagewarden.governance.culture import read_gophish_csv, read_gophish_json, read_training
from imagewarden.governance.defectdojo import defectdojo_findings
from imagewarden.governance.interface import AnswerRecord, CultureTargets
from imagewarden.governance.maturity import (
    FUNCTION_NAMES,
    RULES,
    TIER_NAMES,
    maturity,
    snapshot_rows,
    trend_chart,
)
from imagewarden.governance.metrics import METRICS, culture_metrics, format_value, misses
from imagewarden.governance.oscal import write_oscal_files
from imagewarden.governance.overview import maturity_trend
from imagewarden.governance.poam import plan_csv, quarterly_review, sync_plan
from imagewarden.governance.repository import GovernanceStore
from imagewarden.model import Location, UserInputError
from imagewarden.model.checklist import CSF_FUNCTIONS
from imagewarden.render.atomic import write_text_atomic
from imagewarden.resilience.drills import improvement_actions

checklist_app = typer.Typer(
    help="Leadership checklists: list, answer, import, export.", no_args_is_help=True
)
culture_app = typer.Typer(
    help="Training and phishing results: import and report.", no_args_is_help=True
)
export_app = typer.Typer(help="Exports for other tools: OSCAL, DefectDojo.", no_args_is_help=True)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserInputError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _write(path: Path | None, text: str, what: str) -> None:
    if path is None:
        out.print(text, end="", markup=False, highlight=False)
        return
    write_text_atomic(path, text)
    err.print(f"{what} written to {path}")


# --- checklist -----------------------------------------------------------------------------


@checklist_app.command("list")
def checklist_list(
    ctx: typer.Context,
    checklist: Annotated[str | None, typer.Option(help="executive, pacs-informatics, ...")] = None,
) -> None:
    """List the checklists, or the questions of one checklist."""
    catalog = state(ctx).catalog
    table = Table()
    if checklist is None:
        for column in ("checklist", "audience", "questions", "title"):
            table.add_column(column)
        for c in catalog.checklists.values():
            table.add_row(c.id.rsplit(":", 1)[-1], c.audience.value, str(len(c.questions)), c.title)
    else:
        chosen = find_checklist(catalog, checklist)
        if chosen is None:
            names = ", ".join(c.id.rsplit(":", 1)[-1] for c in catalog.checklists.values())
            raise UserInputError(f"no checklist {checklist!r} (known: {names})")
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
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD.")] = None,
    answered: Annotated[str | None, typer.Option(help="Answer date (default today).")] = None,
    notes: Annotated[str, typer.Option()] = "",
) -> None:
    """Record one answer (kept with its history)."""
    cli = state(ctx)
    try:
        value = parse_answer(answer)
    except ValueError as exc:
        raise UserInputError(f"--answer: {exc}") from None
    record = AnswerRecord(
        site_id=site,
        question_id=question,
        answer=value,
        owner=owner,
        evidence=evidence,
        answered_on=_date(answered, "--answered") or _today(),
        due_on=_date(due, "--due"),
        notes=notes,
    )
    store = cli.store()
    problem = check_answer(record, cli.catalog, [s.id for s in store.sites()])
    if problem is not None:
        raise UserInputError(f"--{problem[0]}: {problem[1]}")
    GovernanceStore(store).add_answers([record])
    err.print(
        f"recorded {question} = {value.value} at {site}; run 'imagewarden assess' to "
        "update findings"
    )


@checklist_app.command("import")
def checklist_import(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="Answers CSV file.")]
) -> None:
    """Import answers from a CSV file (all or nothing); see docs for the columns."""
    cli = state(ctx)
    store = cli.store()
    records = read_answers(path, cli.catalog, [s.id for s in store.sites()], _today())
    GovernanceStore(store).add_answers(records)
    err.print(f"imported {len(records)} answers from {path}")


@checklist_app.command("export")
def checklist_export(
    ctx: typer.Context,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="CSV file (default stdout).")
    ] = None,
    template: Annotated[bool, typer.Option(help="Blank answer sheet for every site.")] = False,
    checklist: Annotated[str | None, typer.Option(help="Only this checklist (template).")] = None,
) -> None:
    """Export the current answers (or a blank answer sheet) as CSV."""
    cli = state(ctx)
    store = cli.store()
    if template:
        chosen = find_checklist(cli.catalog, checklist) if checklist else None
        if checklist and chosen is None:
            raise UserInputError(f"no checklist {checklist!r}")
        ids = {chosen.id: chosen.title} if chosen else {}
        text = blank_template(cli.catalog, [s.id for s in store.sites()], ids)
    else:
        text = answers_csv(GovernanceStore(store).current_answers())
    _write(out_path, text, "answers")


# --- crosswalk and maturity ----------------------------------------------------------------


def crosswalk(
    ctx: typer.Context,
    framework: Annotated[
        str | None, typer.Option(help="Show one framework's requirements.")
    ] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the full CSV here.")] = None,
) -> None:
    """Coverage of NIST CSF 2.0, HPH CPGs, HICP and HIPAA by answers, safeguards and findings."""
    cli = state(ctx)
    store = cli.store()
    coverage = build_crosswalk(
        cli.catalog, GovernanceStore(store).current_answers(), store.findings()
    )
    if csv_path is not None:
        write_text_atomic(csv_path, crosswalk_csv(coverage))
        err.print(f"crosswalk written to {csv_path}")
    table = Table()
    if framework is None:
        table.add_column("framework", no_wrap=True)
        for column in (
            "score",
            "cited",
            "met",
            "partial",
            "gap",
            "not assessed",
            "not covered",
        ):
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
        chosen = next((fw for fw in coverage if fw.framework == framework), None)
        if chosen is None:
            raise UserInputError(
                f"--framework: unknown {framework!r} "
                f"(known: {', '.join(fw.framework for fw in coverage)})"
            )
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
    cli = state(ctx)
    store = cli.store()
    gov = GovernanceStore(store)
    today = _today()
    levels = maturity(cli.catalog, gov.current_answers(), [s.id for s in store.sites()], today)
    if record:
        gov.record_maturity(snapshot_rows(levels, today))
        err.print(f"recorded maturity of {today}")
    table = Table()
    table.add_column("site")
    for f in CSF_FUNCTIONS:
        table.add_column(f"{f} {FUNCTION_NAMES[f]}")
    by_site: dict[str, dict[str, str]] = {}
    for m in levels:
        by_site.setdefault(m.site_id, {})[m.function] = (
            f"{m.tier} {TIER_NAMES[m.tier]} ({m.score:.2f}, {m.answered}/{m.questions})"
        )
    for site, cells in by_site.items():
        table.add_row(site, *(cells[f] for f in CSF_FUNCTIONS))
    out.print(table)
    for rule in RULES:
        err.print(f"  {rule}")
    points = maturity_trend(store)
    if points:
        err.print("history (average tier): " + ", ".join(f"{p.label} {p.value}" for p in points))
    if chart is not None:
        svg = trend_chart(
            [(p.label, p.value) for p in points],
            chart_id="maturity-trend",
            title="Average CSF implementation tier per assessment",
        )
        write_text_atomic(chart, svg)
        err.print(f"trend chart written to {chart}")


# --- culture -------------------------------------------------------------------------------


@culture_app.command("import")
def culture_import(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="training or gophish")],
    path: Annotated[
        Path, typer.Argument(help="CSV (training, GoPhish results) or JSON (GoPhish API).")
    ],
    campaign: Annotated[str | None, typer.Option(help="Campaign name (GoPhish CSV).")] = None,
    site: Annotated[str, typer.Option(help="Site the records belong to, if one.")] = "",
) -> None:
    """Import training completion or GoPhish campaign results (names and e-mails are hashed)."""
    store = state(ctx).store()
    gov = GovernanceStore(store)
    if kind == "training":
        records = read_training(path)
        gov.add_training(records, path.name)
        err.print(f"imported {len(records)} training records from {path}")
    elif kind == "gophish":
        if path.suffix.lower() == ".json":
            result = read_gophish_json(path, site_id=site)
        else:
            result = read_gophish_csv(path, name=campaign, site_id=site)
        gov.save_campaign(result)
        err.print(f"imported campaign {result.name!r}: {len(result.results)} recipients")
    else:
        raise UserInputError(f"unknown kind {kind!r}", Location("KIND"), "use training or gophish")


@culture_app.command("report")
def culture_report(
    ctx: typer.Context,
    completion_target: Annotated[float, typer.Option(help="Minimum completion rate.")] = 0.90,
    click_target: Annotated[float, typer.Option(help="Maximum click rate.")] = 0.10,
    report_target: Annotated[float, typer.Option(help="Minimum report rate.")] = 0.50,
    minutes_target: Annotated[float, typer.Option(help="Maximum median minutes to report.")] = 60,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write every value here.")] = None,
) -> None:
    """Completion, click, report rate and time to report per department and quarter."""
    store = state(ctx).store()
    gov = GovernanceStore(store)
    targets = CultureTargets(completion_target, click_target, report_target, minutes_target)
    values = culture_metrics(gov.training(), gov.campaigns(), targets)
    if not values:
        err.print("no training or phishing records; see 'imagewarden culture import'")
        return
    table = Table()
    for column in ("metric", "department", "quarter", "value", "sample", "target", "meets"):
        table.add_column(column)
    for v in values:
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
    missed = misses(values, targets)
    err.print(f"{len(missed)} metrics miss their target in the latest quarter")
    if csv_path is not None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            ("metric", "department", "quarter", "value", "sample", "target", "meets_target")
        )
        for v in values:
            writer.writerow(
                (v.metric, v.department, v.quarter, v.value, v.sample, v.target, v.meets_target)
            )
        write_text_atomic(csv_path, buffer.getvalue())


# --- plan of action, exports, board --------------------------------------------------------


def poam(
    ctx: typer.Context,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the plan as CSV.")] = None,
    review: Annotated[bool, typer.Option(help="Print the quarterly review.")] = False,
) -> None:
    """Sync the plan of action and milestones with current findings and unanswered questions."""
    cli = state(ctx)
    store = cli.store()
    gov = GovernanceStore(store)
    today = _today()
    items = sync_plan(
        gov.plan_items(),
        store.findings(),
        gov.current_answers(),
        cli.catalog,
        [s.id for s in store.sites()],
        store.assets(),
        today,
        improvements=improvement_actions(store),
    )
    gov.save_plan_items(items)
    if csv_path is not None:
        write_text_atomic(csv_path, plan_csv(items))
        err.print(f"plan written to {csv_path}")
    active = [i for i in items if i.status != "closed"]
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("status", "severity", "due", "owner", "title"):
        table.add_column(column)
    for i in active[:50]:
        table.add_row(
            i.id, i.status, i.severity, i.due_on.isoformat() if i.due_on else "", i.owner, i.title
        )
    out.print(table)
    err.print(
        f"{len(active)} open plan items ({len(items) - len(active)} closed)"
        + ("; first 50 shown" if len(active) > 50 else "")
    )
    if review:
        r = quarterly_review(items, today)
        err.print(
            f"quarterly review {r.quarter}: {r.opened} opened, {r.closed} closed, "
            f"{r.open_now} open ({r.overdue} overdue, {r.risk_accepted} risk accepted), "
            f"{r.due_next_quarter} due next quarter"
        )
        for owner, n in r.by_owner.items():
            err.print(f"  {owner}: {n}")


@export_app.command("oscal")
def export_oscal(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the OSCAL JSON files.")],
    title: Annotated[str, typer.Option()] = "Imaging cybersecurity readiness",
) -> None:
    """Write OSCAL assessment-results.json and poam.json (plan of action and milestones)."""
    cli = state(ctx)
    store = cli.store()
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError("exists and is not a folder", Location(str(out_dir)))
    for path in write_oscal_files(store, cli.catalog, out_dir, title=title):
        err.print(f"OSCAL written to {path}")


@export_app.command("defectdojo")
def export_defectdojo(
    ctx: typer.Context,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="JSON file (default stdout).")
    ] = None,
) -> None:
    """Findings as DefectDojo "Generic Findings Import" JSON."""
    cli = state(ctx)
    store = cli.store()
    due = {
        i.source_id: i.due_on.isoformat()
        for i in GovernanceStore(store).plan_items()
        if i.source_kind == "finding" and i.due_on is not None
    }
    doc = defectdojo_findings(store.findings(), cli.catalog, due)
    _write(out_path, json.dumps(doc, indent=2) + "\n", "DefectDojo findings")
