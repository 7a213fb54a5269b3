"""Resilience commands: ``backup``, ``recovery``, ``ir``, ``drill`` and ``tabletop`` groups."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from imagewarden.cli import exit_codes
from imagewarden.cli.state import err, out, state
from imagewarden.model import UserInputError
from imagewarden.resilience import drills
from imagewarden.resilience.backup.compare import Comparison, compare_files
from imagewarden.resilience.backup.counts import CountCheck
from imagewarden.resilience.backup.restore import restore_test
from imagewarden.resilience.backup.run import (
    record_restore_test,
    record_verify,
    run_verify,
)
from imagewarden.resilience.backup.verify import VerifyResult
from imagewarden.resilience.data import shipped
from imagewarden.resilience.ir import build_plan
from imagewarden.resilience.planning import plan_as_dict, plans_for, record_plans, site_view
from imagewarden.resilience.records import add_team_member, require_asset, team
from imagewarden.resilience.render import render_html, write_outputs
from imagewarden.resilience.tabletop import generate as generate_tabletop

backup_app = typer.Typer(no_args_is_help=True, help="Verify DICOM backups and test restores.")

_SHOWN_PATHS = 20


def _print_comparison(comparison: Comparison, show_paths: bool) -> None:
    out.print(
        f"compared with the earlier manifest: {comparison.missing} missing, "
        f"{comparison.changed} changed, {comparison.added} added, "
        f"{comparison.unchanged} unchanged"
    )
    if show_paths:
        for label, paths in (
            ("missing", comparison.missing_paths),
            ("changed", comparison.changed_paths),
            ("added", comparison.added_paths),
        ):
            for path in paths[:_SHOWN_PATHS]:
                out.print(f"  {label}: {path}", markup=False)


def _print_verify(
    result: VerifyResult, counts: CountCheck | None, manifest: Path | None, show_paths: bool
) -> None:
    gb = result.bytes / 1e9
    out.print(
        f"{result.files} files ({gb:.2f} GB, layout: {result.layout}) in {result.seconds:.1f} s: "
        f"{result.ok} ok, {result.problem_files} with problems; "
        f"{result.studies} studies, {result.series} series"
        + (f"; {result.resumed} kept from the interrupted run" if result.resumed else "")
    )
    for code, count in sorted(result.problem_counts.items()):
        out.print(f"  {code}: {count}")
    if show_paths:
        for path, problems in result.problems[:_SHOWN_PATHS]:
            out.print(f"  {path}: {', '.join(problems)}", markup=False)
    elif result.problems and manifest is not None:
        err.print(f'problem files are listed in the manifest {manifest} (status "problem")')
    if result.comparison is not None:
        _print_comparison(result.comparison, show_paths)
    if counts is not None:
        verdict = "match" if counts.matches else "DO NOT MATCH"
        out.print(
            f"archive counts ({counts.source}) {verdict}: expected {counts.expected_instances} "
            f"instances in {counts.studies_expected} studies, found {counts.found_instances} in "
            f"{counts.studies_found}; {counts.missing_studies} studies missing, "
            f"{counts.short_studies} short"
        )


@backup_app.command("verify")
def verify_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Archive folder (or Orthanc storage folder).")],
    manifest_out: Annotated[
        Path | None, typer.Option("--manifest-out", help="Write the SHA-256 manifest (JSON lines).")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="Compare with this earlier manifest."),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: cores).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run of --manifest-out.")
    ] = False,
    export_csv: Annotated[
        Path | None,
        typer.Option(
            "--export-csv",
            help="Archive's per-study counts (columns study_instance_uid, instances).",
        ),
    ] = None,
    orthanc_url: Annotated[
        str | None,
        typer.Option("--orthanc-url", help="Compare with an Orthanc server's /statistics."),
    ] = None,
    asset: Annotated[
        str | None,
        typer.Option("--asset", help="Record the result as facts of this inventory asset."),
    ] = None,
    show_paths: Annotated[
        bool, typer.Option("--show-paths", help="Also print the paths of problem files.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Hash every file and check every DICOM header of a backup copy.

    Exit code 1 when any file has a problem or the comparison finds missing or changed files.
    """
    cli = state(ctx)
    store = cli.store() if asset else None  # open first: a bad --db fails before the scan
    if store is not None and asset is not None:
        require_asset(store, asset)
    started = dt.datetime.now(dt.UTC)
    with Progress(
        SpinnerColumn(),
        TextColumn("verifying {task.description} files"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        files_task = progress.add_task("0", total=None)

        def report(files: int, size: int) -> None:
            progress.update(files_task, completed=size, description=str(files))

        result, counts = run_verify(
            path,
            jobs=jobs,
            manifest_out=manifest_out,
            against=against,
            resume=resume,
            export_csv=export_csv,
            orthanc_url=orthanc_url,
            progress=report,
        )
    if store is not None and asset is not None:
        record_verify(store, asset, result, counts, manifest_out, started)
    if as_json:
        summary = result.summary()
        if counts is not None:
            summary["counts"] = counts.as_dict()
        out.print_json(json.dumps(summary))
    else:
        _print_verify(result, counts, manifest_out, show_paths)
    if manifest_out is not None:
        err.print(f"manifest written: {manifest_out}")
    bad = result.problem_files or (
        result.comparison is not None
        and result.comparison.differs
        and (result.comparison.missing or result.comparison.changed)
    )
    if bad or (counts is not None and not counts.matches):
        raise typer.Exit(exit_codes.FINDINGS_AT_OR_ABOVE_THRESHOLD)


@backup_app.command("compare")
def compare_command(
    old: Annotated[Path, typer.Argument(help="Earlier manifest.")],
    new: Annotated[Path, typer.Argument(help="Newer manifest.")],
    show_paths: Annotated[bool, typer.Option("--show-paths", help="Print the paths.")] = False,
) -> None:
    """Compare two manifests: missing, changed and added files. Exit 1 on missing/changed."""
    comparison = compare_files(old, new)
    _print_comparison(comparison, show_paths)
    if comparison.missing or comparison.changed:
        raise typer.Exit(exit_codes.FINDINGS_AT_OR_ABOVE_THRESHOLD)


@backup_app.command("restore-test")
def restore_test_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Backup folder to restore a sample from.")],
    sample: Annotated[int, typer.Option("--sample", help="Files to restore.")] = 100,
    rto: Annotated[
        float, typer.Option("--rto", help="Recovery time objective for the archive, in hours.")
    ] = 72.0,
    scratch: Annotated[
        Path | None, typer.Option("--scratch", help="Folder for the scratch area (default: tmp).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Sample seed (same seed, same files).")] = 0,
    asset: Annotated[
        str | None,
        typer.Option("--asset", help="Record the result as facts of this inventory asset."),
    ] = None,
) -> None:
    """Restore a random sample to a scratch area, verify and time it, extrapolate to the RTO.

    Exit code 1 when a restored file fails verification or the estimate exceeds the RTO.
    """
    cli = state(ctx)
    store = cli.store() if asset else None
    if store is not None and asset is not None:
        require_asset(store, asset)
    started = dt.datetime.now(dt.UTC)
    with err.status("restoring a sample"):
        test = restore_test(path, sample=sample, rto_hours=rto, scratch=scratch, seed=seed)
    if store is not None and asset is not None:
        record_restore_test(store, asset, test, started)
    verdict = "within" if test.within_rto else "EXCEEDS"
    out.print(
        f"restored {test.sample_files} of {test.archive_files} files "
        f"({test.sample_bytes / 1e6:.1f} MB) in {test.seconds:.2f} s "
        f"({test.bytes_per_second / 1e6:.0f} MB/s); {len(test.failed)} failed verification"
    )
    out.print(
        f"estimated full restore: {test.estimated_hours:.2f} h, {verdict} the RTO of {rto:g} h"
    )
    err.print(
        "the estimate assumes the scratch area is as fast as the real restore target; "
        "run it against the real target for a binding figure"
    )
    if not test.within_rto:
        raise typer.Exit(exit_codes.FINDINGS_AT_OR_ABOVE_THRESHOLD)


recovery_app = typer.Typer(no_args_is_help=True, help="Plan the restore of imaging services.")


@recovery_app.command("plan")
def recovery_plan_command(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plans as JSON.")] = False,
) -> None:
    """Restore order, time to recover and gaps against 72 h and four weeks, per site.

    Records each site's estimate as facts, so the next assessment raises findings on gaps.
    """
    store = state(ctx).store()
    plans = plans_for(store, site)
    record_plans(store, plans)
    if as_json:
        out.print_json(json.dumps([plan_as_dict(p) for p in plans]))
        return
    for plan in plans:
        verdict = "within" if plan.within_target else "BEYOND"
        out.print(
            f"{plan.site.name}: critical imaging back after {plan.critical_hours:.0f} h "
            f"({verdict} 72 h); everything after {plan.all_hours:.0f} h"
        )
        table = Table(box=None, pad_edge=False)
        for column in ("#", "service", "assets", "after", "hours", "ready at"):
            table.add_column(column)
        for i, step in enumerate(plan.steps, start=1):
            table.add_row(
                str(i),
                step.service.title,
                ", ".join(a.name for a in step.assets) or "(enterprise)",
                ", ".join(step.depends_on),
                f"{step.hours:g}{' (tested)' if step.measured else ''}",
                f"{step.finish:.0f} h",
            )
        out.print(table)
        for gap in plan.gaps:
            out.print(f"  gap: {gap}", markup=False)


ir_app = typer.Typer(no_args_is_help=True, help="Incident response team and playbooks.")
team_app = typer.Typer(no_args_is_help=True, help="The imaging incident response team.")
ir_app.add_typer(team_app, name="team")


@team_app.command("add")
def team_add_command(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="Role id (see `ir team roles`).")],
    name: Annotated[str, typer.Option("--name", help="Person or on-call rota name.")],
    contact: Annotated[str, typer.Option("--contact", help="Phone or pager.")] = "",
    rank: Annotated[int, typer.Option("--rank", min=1, help="Call order in the role.")] = 1,
    site: Annotated[str, typer.Option("--site", help="Site id; empty: every site.")] = "",
) -> None:
    """Add a person to a role of the incident response team."""
    roles = shipped().roles
    if role not in roles:
        raise UserInputError(f"unknown role {role!r} (roles: {', '.join(roles)})")
    add_team_member(
        state(ctx).store(), role=role, name=name, contact=contact, rank=rank, site_id=site
    )
    err.print(f"added {name} as {roles[role].title}")


@team_app.command("roles")
def team_roles_command() -> None:
    """List the incident response roles."""
    for role in shipped().roles.values():
        out.print(f"{role.id}: {role.title}", markup=False)


@ir_app.command("plan")
def ir_plan_command(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "ir-plan.html"
    ),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write this PDF.")] = None,
    site: Annotated[str | None, typer.Option("--site", help="Site id (default: first).")] = None,
    playbook: Annotated[
        list[str] | None, typer.Option("--playbook", help="Only these playbooks (repeatable).")
    ] = None,
) -> None:
    """Write the incident response plan for a site: team, contact tree, playbooks, RACI."""
    store = state(ctx).store()
    data = shipped()
    unknown = [p for p in playbook or () if p not in data.playbooks]
    if unknown:
        raise UserInputError(
            f"unknown playbook {unknown[0]!r} (playbooks: {', '.join(data.playbooks)})"
        )
    view = site_view(store, site)
    plan = build_plan(view, data, team(store), playbook or ())
    html = render_html("ir_plan.html.j2", plan=plan, values=view.placeholders(), generated="")
    write_outputs(html, out_file, pdf)
    err.print(
        f"incident response plan for {view.site.name}: {len(plan.playbooks)} playbooks, "
        f"{len(plan.unstaffed)} roles without a person"
    )
    out.print(str(out_file))


drill_app = typer.Typer(no_args_is_help=True, help="Downtime drills and after-action reports.")


@drill_app.command("schedule")
def drill_schedule_command(
    ctx: typer.Context,
    site: Annotated[str, typer.Option("--site", help="Site id.")],
    title: Annotated[str, typer.Option("--title", help="What the drill exercises.")],
    on: Annotated[str, typer.Option("--on", help="Date, YYYY-MM-DD.")],
    scenario: Annotated[str, typer.Option("--scenario", help="Playbook or scenario id.")] = "",
) -> None:
    """Put a drill on the schedule; prints its id."""
    day = _date(on, "--on")
    drill_id = drills.schedule(state(ctx).store(), site, title, day, scenario)
    err.print(f"drill {drill_id} scheduled for {day} at {site}")
    out.print(str(drill_id))


@drill_app.command("list")
def drill_list_command(ctx: typer.Context) -> None:
    """The drill schedule, with open after-action items."""
    store = state(ctx).store()
    today = dt.datetime.now(dt.UTC).date()
    for drill in drills.drills(store):
        status = "finished" if drill.finished_at else "running" if drill.started_at else "scheduled"
        out.print(f"{drill.id}  {drill.scheduled_for}  {drill.site_id}  {status}  {drill.title}",
                  markup=False)  # fmt: skip
    for item in drills.items(store):
        if item.kind == "improvement" and item.done_on is None:
            late = " OVERDUE" if item.overdue(today) else ""
            out.print(
                f"  item {item.id} (drill {item.drill_id}): {item.text} | {item.owner} | "
                f"due {item.due}{late}",
                markup=False,
            )


@drill_app.command("log")
def drill_log_command(
    ctx: typer.Context,
    drill_id: Annotated[int, typer.Argument(help="Drill id.")],
    text: Annotated[str, typer.Argument(help="The inject, action or note.")],
    kind: Annotated[str, typer.Option("--kind", help="inject, action or note.")] = "action",
    at: Annotated[
        str | None, typer.Option("--at", help="When (ISO 8601, UTC if no zone); default now.")
    ] = None,
) -> None:
    """Add a timestamped entry to a drill's run log."""
    when = _datetime(at, "--at") if at else None
    drills.log(state(ctx).store(), drill_id, kind, text, when)


@drill_app.command("report")
def drill_report_command(
    ctx: typer.Context,
    drill_id: Annotated[int, typer.Argument(help="Drill id.")],
    went_well: Annotated[
        list[str] | None, typer.Option("--went-well", help="What went well (repeatable).")
    ] = None,
    gap: Annotated[list[str] | None, typer.Option("--gap", help="A gap (repeatable).")] = None,
    improve: Annotated[
        list[str] | None,
        typer.Option("--improve", help="'what | owner | YYYY-MM-DD' (repeatable)."),
    ] = None,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "after-action.html"
    ),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write this PDF.")] = None,
) -> None:
    """Finish a drill with its after-action items and write the after-action report."""
    store = state(ctx).store()
    new = [
        *(drills.NewItem("went_well", t) for t in went_well or ()),
        *(drills.NewItem("gap", t) for t in gap or ()),
        *(drills.parse_improvement(v) for v in improve or ()),
    ]
    drill = drills.finish(store, drill_id, new)
    site = next(s for s in store.sites() if s.id == drill.site_id)
    html = render_html(
        "after_action.html.j2",
        drill=drill,
        site=site,
        events=drills.events(store, drill_id),
        items=drills.items(store, drill_id),
        today=dt.datetime.now(dt.UTC).date(),
    )
    write_outputs(html, out_file, pdf)
    err.print(f"drill {drill_id} finished; after-action report written")
    out.print(str(out_file))


@drill_app.command("done")
def drill_done_command(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="After-action item id.")],
    on: Annotated[str | None, typer.Option("--on", help="Date done (default today).")] = None,
) -> None:
    """Mark an after-action improvement item as done."""
    day = _date(on, "--on") if on else dt.datetime.now(dt.UTC).date()
    drills.complete_item(state(ctx).store(), item_id, day)


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserInputError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _datetime(value: str, option: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UserInputError(f"{option} {value!r} is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


tabletop_app = typer.Typer(no_args_is_help=True, help="Tabletop exercise packages.")


@tabletop_app.command("generate")
def tabletop_generate_command(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario id.")] = (
        "ransomware-weekend"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Variant (same seed, same package).")] = 1,
    site: Annotated[str | None, typer.Option("--site", help="Site id (default: largest).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the package.")] = Path(
        "tabletop"
    ),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write the PDF.")] = True,
) -> None:
    """Write an exercise package (HTML and PDF) for a scenario and the real inventory."""
    data = shipped()
    if scenario not in data.scenarios:
        raise UserInputError(
            f"unknown scenario {scenario!r} (scenarios: {', '.join(data.scenarios)})"
        )
    view = site_view(state(ctx).store(), site)
    package = generate_tabletop(data.scenarios[scenario], view, data, seed)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError("exists and is not a folder", hint=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_html("tabletop.html.j2", pkg=package)
    write_outputs(html, out_dir / "tabletop.html", out_dir / "tabletop.pdf" if pdf else None)
    err.print(
        f"tabletop package '{package.scenario.title}' for {view.site.name}: "
        f"{len(package.injects)} injects, {len(package.questions)} roles"
    )
    out.print(str(out_dir / "tabletop.html"))
