"""The core workflow commands: init and assess."""

from __future__ import annotations

from typing import Annotated

import typer

from imagewarden.cli import exit_codes
from imagewarden.cli.state import err, state
from imagewarden.engine import run_assessment
from imagewarden.engine.assess import DEFAULT_LOCK_WAIT
from imagewarden.model import FindingStatus, Severity
from imagewarden.store import resolve_url


def init(ctx: typer.Context) -> None:
    """Create the database (or upgrade its schema to this version)."""
    cli = state(ctx)
    cli.store(create=True)
    err.print(f"database ready: {resolve_url(cli.db)}")


def assess(
    ctx: typer.Context,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on",
            case_sensitive=False,
            help="Exit 1 when an open finding has this severity or higher.",
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            min=0,
            help="Seconds to wait for an assessment already running on this database "
            "before giving up (exit 3).",
        ),
    ] = DEFAULT_LOCK_WAIT,
) -> None:
    """Evaluate every catalog check against the inventory and update the findings."""
    cli = state(ctx)
    store = cli.store()

    def waiting() -> None:
        err.print(f"another assessment is running on this database; waiting up to {wait:g} s")

    result = run_assessment(store, cli.catalog, lock_wait=wait, on_wait=waiting)
    open_findings = [f for f in result.findings if f.status is FindingStatus.OPEN]
    by_severity = dict.fromkeys(reversed(Severity), 0)
    for finding in open_findings:
        by_severity[finding.severity] += 1
    summary = ", ".join(f"{n} {s.value}" for s, n in by_severity.items() if n)
    err.print(
        f"assessed {result.run.assets} assets: {len(open_findings)} open findings"
        f"{' (' + summary + ')' if summary else ''}; {result.new} new, "
        f"{result.mitigated} mitigated, {result.reopened} reopened"
    )
    if result.conflicts:
        err.print(
            f"{result.conflicts} findings were triaged while this assessment ran; "
            "their new status was kept"
        )
    if fail_on is not None and any(f.severity.rank >= fail_on.rank for f in open_findings):
        raise typer.Exit(exit_codes.FINDINGS_AT_OR_ABOVE_THRESHOLD)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(assess)
