"""``imagewarden audit``: read and verify the tamper-evident audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from imagewarden.app.audit import AuditQuery, audit_entries, verify_audit
from imagewarden.cli import exit_codes
from imagewarden.cli.formats import FormatOption, JsonAlias, ListFormat, print_json, wants_json
from imagewarden.cli.state import err, out, state

audit_app = typer.Typer(help="The audit trail of every change.", no_args_is_help=True)


@audit_app.command("list")
def list_command(
    ctx: typer.Context,
    action: Annotated[
        str | None, typer.Option(help="Only this action, e.g. finding.accepted.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Only changes by this person or worker.")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 100,
    output: FormatOption = ListFormat.TABLE,
    as_json: JsonAlias = False,
) -> None:
    """Show audit entries, newest first."""
    rows = audit_entries(state(ctx).workspace(), AuditQuery(action, actor, limit))
    if wants_json(output, as_json):
        data = [
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "target": e.target, "before": e.before, "after": e.after}
            for e in rows
        ]  # fmt: skip
        print_json(data)
        return
    table = Table()
    for column in ("id", "at", "actor", "action", "target"):
        table.add_column(column)
    for e in rows:
        table.add_row(str(e.id), e.at.isoformat(timespec="seconds"), e.actor, e.action, e.target)
    out.print(table)


@audit_app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Recompute the hash chain: exit 0 when intact, 1 naming the first tampered row."""
    check = verify_audit(state(ctx).workspace())
    if check.intact:
        err.print(f"audit trail intact: {check.rows} entries")
        return
    err.print(f"audit trail broken at entry {check.first_bad}: {check.reason}")
    raise typer.Exit(exit_codes.RESULT_NEEDS_ATTENTION)
