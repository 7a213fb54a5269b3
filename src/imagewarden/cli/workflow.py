"""The core workflow commands: init and assess."""

from __future__ import annotations

from typing import Annotated

import typer

from imagewarden.app.assessment import assess as run_assess
from imagewarden.app.database import initialise
from imagewarden.cli import exit_codes
from imagewarden.cli.state import err, out, state
from imagewarden.engine.assess import DEFAULT_LOCK_WAIT
from imagewarden.model import Severity


def init(ctx: typer.Context) -> None:
    """Create the database (or upgrade an older one, after copying it aside)."""
    done = initialise(state(ctx).db)
    err.print("database ready:")
    out.print(done.url)


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
    workspace = state(ctx).workspace()

    def waiting() -> None:
        err.print(f"another assessment is running on this database; waiting up to {wait:g} s")

    summary = run_assess(workspace, lock_wait=wait, on_wait=waiting)
    counts = ", ".join(f"{n} {s.value}" for s, n in summary.open_by_severity.items() if n)
    hosts = summary.unmanaged
    unmanaged = f" and {hosts} unmanaged host{'' if hosts == 1 else 's'}" if hosts else ""
    err.print(
        f"assessed {summary.assets} managed assets{unmanaged}: "
        f"{summary.open_findings} open findings"
        f"{' (' + counts + ')' if counts else ''}; {summary.new} new, "
        f"{summary.mitigated} mitigated, {summary.reopened} reopened"
    )
    if summary.conflicts:
        err.print(
            f"{summary.conflicts} findings were triaged while this assessment ran; "
            "their new status was kept"
        )
    if fail_on is not None and summary.has_open_at_or_above(fail_on):
        raise typer.Exit(exit_codes.FINDINGS_AT_OR_ABOVE_THRESHOLD)
