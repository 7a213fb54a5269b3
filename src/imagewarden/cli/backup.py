"""The ``backup`` commands: verify a backup copy, compare manifests, test a restore.

A module of its own, importing only the backup part of the resilience API
(``resilience.backup_api``): ``backup verify``'s start-up is part of the figure the backup
benchmark compares with ``openssl dgst``, so it loads neither the store nor the catalog's
schemas (pydantic), and the progress bar's module only when stderr is a terminal.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from imagewarden.cli import exit_codes
from imagewarden.cli.formats import (
    STDOUT,
    JsonAlias,
    TextFormat,
    TextFormatOption,
    print_json,
    print_paths,
    stdout_file,
)
from imagewarden.cli.state import err, out, state
from imagewarden.model import UserInputError
from imagewarden.resilience import backup_api as api

if TYPE_CHECKING:
    from rich.console import Console

    from imagewarden.app import Workspace
    from imagewarden.resilience.backup.compare import Comparison
    from imagewarden.resilience.backup.counts import CountCheck
    from imagewarden.resilience.backup.verify import Progress
    from imagewarden.resilience.records import BackupCheck

_SHOWN_PATHS = 20

FollowLinks = Annotated[
    bool,
    typer.Option(
        "--follow-links",
        help="Also read links whose target is outside the folder (default: report them).",
    ),
]


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
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Checking processes (default: cores; 1: in this process)."
        ),
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
    output: TextFormatOption = TextFormat.TEXT,
    as_json: JsonAlias = False,
) -> None:
    """Hash every file and check every DICOM header of a backup copy.

    Exit code 1 when any file has a problem, the folder is empty, or the comparison finds
    missing or changed files. JSON lists every problem file, streamed as it is found.
    """
    cli = state(ctx)
    as_listing = as_json or output is TextFormat.JSON
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


@contextlib.contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """The scan's progress callback, drawing a bar on stderr while the scan runs; None when
    stderr is no terminal: the transient bar would show nothing there but a blank line, yet
    cost its module's import, a refresh thread and an update per file."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bar

    with Bar(
        SpinnerColumn(),
        TextColumn("verifying {task.description} files"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        files_task = bar.add_task("0", total=None)

        def report(files: int, size: int) -> None:
            bar.update(files_task, completed=size, description=str(files))

        yield report


def _verify(
    workspace: Workspace | None,
    request: api.VerifyRequest,
    show_paths: bool,
    as_listing: bool,
    summary_to: Console,
) -> tuple[api.BackupVerification, BackupCheck | None]:
    """Run the scan with its progress bar and print its result (JSON, or the human summary:
    on stderr when the manifest goes to stdout)."""
    listing = _ProblemStream() if as_listing else None
    with _progress_bar() as report:
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
    output: TextFormatOption = TextFormat.TEXT,
) -> None:
    """Compare two manifests: missing, changed and added files. Exit 1 on missing/changed."""
    comparison = api.compare_manifests(old, new)
    if output is TextFormat.JSON:
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
    output: TextFormatOption = TextFormat.TEXT,
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
    if output is TextFormat.JSON:
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
    from imagewarden.render.labels import format_hours  # its module loads the catalog schemas

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
