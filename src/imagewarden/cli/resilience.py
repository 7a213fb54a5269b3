"""Resilience commands: ``backup``, ``recovery``, ``ir``, ``drill`` and ``tabletop`` groups.

Each command parses its options, calls ``imagewarden.resilience.api`` and renders the result:
human messages on stderr, data (tables, JSON, written paths) on stdout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
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
from imagewarden.cli.formats import STDOUT, JsonAlias, print_json, print_paths, stdout_file
from imagewarden.cli.options import DATE, MOMENT, parse_date, parse_moment
from imagewarden.cli.state import err, out, state
from imagewarden.model import UserInputError
from imagewarden.render.labels import format_hours
from imagewarden.resilience import api
from imagewarden.resilience.backup.compare import Comparison
from imagewarden.resilience.backup.counts import CountCheck
from imagewarden.resilience.drills import DrillLogKind, parse_improvement
from imagewarden.resilience.planning import plan_as_dict
from imagewarden.resilience.records import NewTeamMember

if TYPE_CHECKING:  # the store and SQLAlchemy stay unimported for `backup verify`
    from imagewarden.app import Workspace

logger = logging.getLogger(__name__)

_SHOWN_PATHS = 20


class Format(StrEnum):
    """How a command prints its result on stdout."""

    TEXT = "text"
    JSON = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", case_sensitive=False, help="text or json (on stdout).")
]
FollowLinks = Annotated[
    bool,
    typer.Option(
        "--follow-links",
        help="Also read links whose target is outside the folder (default: report them).",
    ),
]


def _format(chosen: Format, as_json: bool) -> Format:
    return Format.JSON if as_json else chosen


@contextlib.contextmanager
def _html_out(path: Path) -> Iterator[Path]:
    """``path``, or for ``--out -`` a temporary file whose HTML goes to stdout."""
    if path != STDOUT:
        yield path
        return
    with stdout_file(path.name if path.suffix else "document.html") as temporary:
        yield temporary


backup_app = typer.Typer(no_args_is_help=True, help="Verify DICOM backups and test restores.")


def _print_comparison(comparison: Comparison, show_paths: bool, console: Console = out) -> None:
    console.print(
        f"compared with the earlier manifest: {comparison.missing} missing, "
        f"{comparison.changed} changed, {comparison.added} added, "
        f"{comparison.unchanged} unchanged"
        + (f", {comparison.unverified} not hashed" if comparison.unverified else "")
    )
    if show_paths:
        for label, paths in (
            ("missing", comparison.missing_paths),
            ("changed", comparison.changed_paths),
            ("added", comparison.added_paths),
        ):
            for path in paths[:_SHOWN_PATHS]:
                console.print(f"  {label}: {path}")


def _print_counts(counts: CountCheck, console: Console) -> None:
    verdict = "match" if counts.matches else "DO NOT MATCH"
    console.print(
        f"archive counts ({counts.source}) {verdict}: expected {counts.expected_instances} "
        f"instances in {counts.studies_expected} studies, found {counts.found_instances} in "
        f"{counts.studies_found}; {counts.missing_studies} studies missing, "
        f"{counts.short_studies} short"
    )


def _print_verify(result: api.BackupVerification, show_paths: bool, console: Console) -> None:
    """The human summary, on ``console``: stdout, or stderr when stdout carries the
    manifest or its path (``--manifest-out``)."""
    gb = result.bytes / 1e9
    console.print(
        f"{result.files} files ({gb:.2f} GB, layout: {result.layout}) in {result.seconds:.1f} s: "
        f"{result.ok} ok, {result.problem_files} with problems; "
        f"{result.studies} studies, {result.series} series"
        + (f"; {result.resumed} kept from the interrupted run" if result.resumed else "")
    )
    for code, count in sorted(result.problem_counts.items()):
        console.print(f"  {code}: {count}")
    if show_paths:
        for problem in result.problems[:_SHOWN_PATHS]:
            console.print(f"  {problem.path}: {', '.join(problem.problems)}")
    if result.comparison is not None:
        _print_comparison(result.comparison, show_paths, console)
    if result.counts is not None:
        _print_counts(result.counts, console)


class _ProblemStream:
    """``verify --format json``: one JSON object whose ``problem_files_listed`` list is written as
    the scan finds each problem file, so memory stays flat however many there are; the
    counts follow when the scan ends."""

    def __init__(self) -> None:
        self._count = 0

    def add(self, problem: api.FileProblem) -> None:
        """Write one problem file (the list opens with the first)."""
        head = '{\n  "problem_files_listed": [\n    ' if self._count == 0 else ",\n    "
        out.file.write(head + json.dumps(problem.as_json()))
        self._count += 1

    def finish(self, summary: dict[str, Any]) -> None:
        """Close the list and write the counts."""
        head = '{\n  "problem_files_listed": [' if self._count == 0 else "\n  "
        body = json.dumps(summary, indent=2, default=str)
        out.file.write(head + "]," + body[1:] + "\n")
        out.file.flush()


@backup_app.command("verify")
def verify_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Archive folder (or Orthanc storage folder).")],
    manifest_out: Annotated[
        Path | None,
        typer.Option(
            "--manifest-out",
            help="Write the SHA-256 manifest (JSON lines; '-': stdout, the summary on stderr).",
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="Compare with this earlier manifest."),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Hashing threads (default: cores).")
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
    follow_links: FollowLinks = False,
    output: FormatOption = Format.TEXT,
    as_json: JsonAlias = False,
) -> None:
    """Hash every file and check every DICOM header of a backup copy.

    Exit code 1 when any file has a problem, the folder is empty, or the comparison finds
    missing or changed files. JSON lists every problem file, streamed as it is found.
    """
    cli = state(ctx)
    as_listing = _format(output, as_json) is Format.JSON
    to_stdout = manifest_out == STDOUT
    if to_stdout and (resume or as_listing):
        raise UserInputError(
            "--manifest-out - writes the manifest on stdout: "
            + ("it cannot be resumed" if resume else "give --format json or it, not both")
        )
    # open first: a bad --db or an unknown asset fails before the scan
    workspace = cli.workspace() if asset else None
    with contextlib.ExitStack() as stack:
        target = stack.enter_context(stdout_file("manifest.jsonl")) if to_stdout else manifest_out
        request = api.VerifyRequest(
            path,
            jobs=jobs,
            manifest_out=target,
            against=against,
            resume=resume,
            export_csv=export_csv,
            orthanc_url=orthanc_url,
            asset_id=asset or "",
            follow_links=follow_links,
        )
        # stdout holds one thing: the manifest ('-') or its path; the summary then goes to stderr
        summary_to = err if manifest_out is not None else out
        result, stored = _verify(workspace, request, show_paths, as_listing, summary_to)
    where = "on stdout" if to_stdout else str(result.manifest)
    if result.problems and result.manifest and not (show_paths or as_listing):
        err.print(f'problem files are listed in the manifest {where} (status "problem")')
    if result.manifest and not to_stdout:
        if not as_listing:  # with --format json, stdout holds the JSON only
            print_paths([Path(result.manifest)])
        err.print(f"manifest written: {result.manifest}")
    if stored is not None:
        err.print(f"recorded as backup check {stored.id} of asset {stored.asset_id}")
    if result.failed:
        raise typer.Exit(exit_codes.RESULT_NEEDS_ATTENTION)


def _verify(
    workspace: Workspace | None,
    request: api.VerifyRequest,
    show_paths: bool,
    as_listing: bool,
    summary_to: Console,
) -> tuple[api.BackupVerification, Any]:
    """Run the scan with its progress bar and print its result (JSON, or the human summary:
    on stderr when the manifest goes to stdout)."""
    listing = _ProblemStream() if as_listing else None
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

        result, stored = api.verify_backup(
            workspace, request, progress=report, on_problem=listing.add if listing else None
        )
    if listing is not None:
        listing.finish(result.summary())
    else:
        _print_verify(result, show_paths, summary_to)
    return result, stored


@backup_app.command("compare")
def compare_command(
    old: Annotated[Path, typer.Argument(help="Earlier manifest.")],
    new: Annotated[Path, typer.Argument(help="Newer manifest.")],
    show_paths: Annotated[bool, typer.Option("--show-paths", help="Print the paths.")] = False,
    output: FormatOption = Format.TEXT,
) -> None:
    """Compare two manifests: missing, changed and added files. Exit 1 on missing/changed."""
    comparison = api.compare_manifests(old, new)
    if output is Format.JSON:
        print_json(comparison.to_json())
    else:
        _print_comparison(comparison, show_paths)
    if comparison.missing or comparison.changed:
        raise typer.Exit(exit_codes.RESULT_NEEDS_ATTENTION)


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
    follow_links: FollowLinks = False,
    output: FormatOption = Format.TEXT,
) -> None:
    """Restore a random sample to a scratch area, verify and time it, extrapolate to the RTO.

    Exit code 1 when a restored file fails verification, the estimate exceeds the RTO or the
    folder is empty.
    """
    workspace = state(ctx).workspace() if asset else None
    request = api.RestoreRequest(
        path,
        sample=sample,
        rto_hours=rto,
        scratch=scratch,
        seed=seed,
        asset_id=asset or "",
        follow_links=follow_links,
    )
    with err.status("restoring a sample"):
        test, stored = api.restore_test_backup(workspace, request)
    if output is Format.JSON:
        print_json(test.to_json())
    else:
        _print_restore(test, rto)
    err.print(
        "the estimate assumes the scratch area is as fast as the real restore target; "
        "run it against the real target for a binding figure"
    )
    if stored is not None:
        err.print(f"recorded as backup check {stored.id} of asset {stored.asset_id}")
    if test.needs_attention:
        raise typer.Exit(exit_codes.RESULT_NEEDS_ATTENTION)


def _print_restore(test: api.RestoreTestResult, rto: float) -> None:
    out.print(
        f"restored {test.sample_files} of {test.archive_files} files "
        f"({test.sample_bytes / 1e6:.1f} MB) in {test.seconds:.2f} s "
        f"({test.bytes_per_second / 1e6:.0f} MB/s)"
    )
    if test.archive_files == 0:
        out.print("the archive is EMPTY: nothing to restore (empty_archive)")
    if test.failed:
        out.print(f"{len(test.failed)} restored files FAILED verification:")
        for failure in test.failed[:_SHOWN_PATHS]:
            out.print(f"  {failure.path}: {', '.join(failure.problems)}")
    elif test.sample_files:
        out.print("every restored file verified")
    for skipped in test.not_sampled[:_SHOWN_PATHS]:
        out.print(f"  not sampled: {skipped.path}: {', '.join(skipped.problems)}")
    # the RTO verdict is about time only; failed files are their own verdict above
    verdict = "within" if test.within_rto else "EXCEEDS"
    out.print(
        f"estimated full restore time: {format_hours(test.estimated_hours)}, {verdict} the RTO "
        f"of {rto:g} h"
    )


recovery_app = typer.Typer(no_args_is_help=True, help="Plan the restore of imaging services.")


@recovery_app.command("plan")
def recovery_plan_command(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    output: FormatOption = Format.TEXT,
    as_json: JsonAlias = False,
) -> None:
    """Restore order, time to recover and gaps against 72 h and four weeks, per site.

    Records each site's estimate as facts, so the next assessment raises findings on gaps.
    """
    plans = api.plan_recovery(state(ctx).workspace(), site)
    if _format(output, as_json) is Format.JSON:
        print_json([plan_as_dict(p) for p in plans])
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
            out.print(f"  gap: {gap}")


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
    member = api.add_team_member(
        state(ctx).workspace(), NewTeamMember(role, name, contact, rank, site)
    )
    err.print(f"added {member.name} as {role} (member {member.id})")
    out.print(str(member.id))


@team_app.command("list")
def team_list_command(ctx: typer.Context, output: FormatOption = Format.TEXT) -> None:
    """The incident response team, by role and call order."""
    members = api.team(state(ctx).workspace())
    if output is Format.JSON:
        print_json(
            [
                {"id": m.id, "role": m.role, "name": m.name, "contact": m.contact,
                 "rank": m.rank, "site": m.site_id}
                for m in members
            ]
        )  # fmt: skip
        return
    table = Table(box=None, pad_edge=False)
    for column in ("id", "role", "rank", "name", "contact", "site"):
        table.add_column(column)
    for m in members:
        table.add_row(str(m.id), m.role, str(m.rank), m.name, m.contact, m.site_id or "(all)")
    out.print(table)
    err.print(f"{len(members)} members")


@team_app.command("roles")
def team_roles_command(ctx: typer.Context, output: FormatOption = Format.TEXT) -> None:
    """List the incident response roles."""
    roles = api.roles(state(ctx).catalog)
    if output is Format.JSON:
        print_json([{"id": r.id, "title": r.title, "escalates_to": r.escalates_to} for r in roles])
        return
    for role in roles:
        out.print(f"{role.id}: {role.title}")


@ir_app.command("plan")
def ir_plan_command(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file ('-': stdout).")] = Path(
        "ir-plan.html"
    ),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write this PDF.")] = None,
    site: Annotated[str | None, typer.Option("--site", help="Site id (default: largest).")] = None,
    playbook: Annotated[
        list[str] | None, typer.Option("--playbook", help="Only these playbooks (repeatable).")
    ] = None,
) -> None:
    """Write the incident response plan for a site: team, contact tree, playbooks, RACI."""
    workspace = state(ctx).workspace()
    with err.status("writing the incident response plan"), _html_out(out_file) as html:
        request = api.IrPlanRequest(html, pdf, site, tuple(playbook or ()))
        written = api.write_ir_plan(workspace, request)
    counts = dict(written.counts)
    err.print(
        f"incident response plan for {written.site_name}: {counts['playbooks']} playbooks, "
        f"{counts['roles without a person']} roles without a person"
    )
    print_paths(tuple(p for p in written.paths if out_file != STDOUT or p != html))


drill_app = typer.Typer(no_args_is_help=True, help="Downtime drills and after-action reports.")


@drill_app.command("schedule")
def drill_schedule_command(
    ctx: typer.Context,
    site: Annotated[str, typer.Option("--site", help="Site id.")],
    title: Annotated[str, typer.Option("--title", help="What the drill exercises.")],
    on: Annotated[
        dt.date, typer.Option("--on", parser=parse_date, metavar=DATE, help="Date of the drill.")
    ],
    scenario: Annotated[str, typer.Option("--scenario", help="Playbook or scenario id.")] = "",
) -> None:
    """Put a drill on the schedule; prints its id."""
    drill = api.schedule_drill(
        state(ctx).workspace(), site_id=site, title=title, on=on, scenario=scenario
    )
    err.print(f"drill {drill.id} scheduled for {drill.scheduled_for} at {drill.site_id}")
    out.print(str(drill.id))


@drill_app.command("list")
def drill_list_command(ctx: typer.Context, output: FormatOption = Format.TEXT) -> None:
    """The drill schedule, with open after-action items."""
    overview = api.drill_overview(state(ctx).workspace())
    if output is Format.JSON:
        print_json(
            {
                "drills": [
                    {"id": d.id, "site": d.site_id, "title": d.title, "scenario": d.scenario,
                     "scheduled_for": d.scheduled_for.isoformat(), "state": d.state.value,
                     "started_at": d.started_at.isoformat() if d.started_at else None,
                     "finished_at": d.finished_at.isoformat() if d.finished_at else None}
                    for d in overview.drills
                ],
                "open_items": [
                    {"id": i.id, "drill": i.drill_id, "text": i.text, "owner": i.owner,
                     "due": i.due.isoformat() if i.due else None,
                     "overdue": i.overdue(overview.today)}
                    for i in overview.open_items
                ],
            }
        )  # fmt: skip
        return
    for drill in overview.drills:
        out.print(
            f"{drill.id}  {drill.scheduled_for}  {drill.site_id}  {drill.state.value}  "
            f"{drill.title}"
        )
    for item in overview.open_items:
        late = " OVERDUE" if item.overdue(overview.today) else ""
        out.print(
            f"  item {item.id} (drill {item.drill_id}): {item.text} | {item.owner} | "
            f"due {item.due}{late}"
        )


@drill_app.command("log")
def drill_log_command(
    ctx: typer.Context,
    drill_id: Annotated[int, typer.Argument(help="Drill id.")],
    text: Annotated[str, typer.Argument(help="The inject, action or note.")],
    kind: Annotated[
        DrillLogKind, typer.Option("--kind", case_sensitive=False, help="inject, action or note.")
    ] = DrillLogKind.ACTION,
    at: Annotated[
        dt.datetime | None,
        typer.Option(
            "--at", parser=parse_moment, metavar=MOMENT, help="When (UTC if no zone); default now."
        ),
    ] = None,
) -> None:
    """Add a timestamped entry to a drill's run log (the first entry starts the drill)."""
    drill, event = api.log_drill(state(ctx).workspace(), drill_id, text, kind, at)
    err.print(
        f"drill {drill.id} {drill.state.value}: {event.kind.value} logged at "
        f"{event.at.strftime('%Y-%m-%d %H:%M:%S UTC')} (entry {event.id})"
    )


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
    out_file: Annotated[Path, typer.Option("--out", help="HTML file ('-': stdout).")] = Path(
        "after-action.html"
    ),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write this PDF.")] = None,
) -> None:
    """Finish a running drill with its after-action items and write the after-action report.

    A finished drill's items are closed: without items its report is written again.
    """
    improvements = tuple(parse_improvement(v) for v in improve or ())
    workspace = state(ctx).workspace()
    with _html_out(out_file) as html:
        request = api.DrillReportRequest(
            drill_id,
            html,
            pdf,
            went_well=tuple(went_well or ()),
            gaps=tuple(gap or ()),
            improvements=improvements,
        )
        report = api.report_drill(workspace, request)
    if report.finished_now:
        err.print(f"drill {drill_id} finished; after-action report written")
    else:
        err.print(f"drill {drill_id} was already finished; its report was written again")
    print_paths(tuple(p for p in report.paths if out_file != STDOUT or p != html))


@drill_app.command("done")
def drill_done_command(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="After-action item id.")],
    on: Annotated[
        dt.date | None,
        typer.Option("--on", parser=parse_date, metavar=DATE, help="Date done (default today)."),
    ] = None,
) -> None:
    """Mark an after-action improvement item as done."""
    day = on or dt.datetime.now(dt.UTC).date()
    item = api.complete_drill_item(state(ctx).workspace(), item_id, day)
    err.print(f"item {item.id} of drill {item.drill_id} done on {item.done_on}")


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
    request = api.TabletopRequest(out_dir, scenario, seed, site, pdf)
    with err.status("writing the tabletop package"):
        written = api.generate_tabletop(state(ctx).workspace(), request)
    counts = dict(written.counts)
    err.print(
        f"tabletop package '{scenario}' for {written.site_name}: "
        f"{counts['injects']} injects, {counts['roles']} roles"
    )
    print_paths(written.paths)
