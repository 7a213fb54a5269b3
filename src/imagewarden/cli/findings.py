"""``imagewarden findings``: list findings and record decisions about them."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.cli.state import err, out, state
from imagewarden.model import FindingStatus, Severity
from imagewarden.store import FindingFilter

findings_app = typer.Typer(help="List and triage findings.", no_args_is_help=True)


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@findings_app.command("list")
def list_findings(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site id.")] = None,
    severity: Annotated[
        Severity | None,
        typer.Option(case_sensitive=False, help="Only this severity or higher."),
    ] = None,
    check: Annotated[str | None, typer.Option(help="Only this check URN.")] = None,
    status: Annotated[
        FindingStatus | None, typer.Option(case_sensitive=False, help="Only this status.")
    ] = None,
    asset: Annotated[str | None, typer.Option(help="Only this asset id.")] = None,
    output: Annotated[
        ListFormat, typer.Option("--format", case_sensitive=False, help="table or json.")
    ] = ListFormat.TABLE,
    limit: Annotated[int, typer.Option(min=0, help="Show at most this many (0: all).")] = 0,
) -> None:
    """List findings, highest risk first."""
    store = state(ctx).store()
    if site is not None and site not in {s.id for s in store.sites()}:
        known = ", ".join(s.id for s in store.sites()) or "none imported"
        raise typer.BadParameter(f"unknown site {site!r} (sites: {known})", param_hint="--site")
    rows = store.findings(FindingFilter(site, severity, check, status, asset))
    if limit:
        rows = rows[:limit]
    if output is ListFormat.JSON:
        data = [
            {
                "id": f.id,
                "check_id": f.check_id,
                "title": f.title,
                "severity": f.severity.value,
                "risk_score": f.risk.score,
                "status": f.status.value,
                "site_id": f.site_id,
                "asset_id": f.asset_id,
                "subject_id": f.subject_id,
            }
            for f in rows
        ]
        out.print_json(json.dumps(data))
        return
    table = Table(show_lines=False)
    for column in ("id", "risk", "severity", "status", "site", "subject", "finding"):
        table.add_column(column)
    for f in rows:
        table.add_row(
            f.id,
            str(f.risk.score),
            f.severity.value,
            f.status.value,
            f.site_id,
            f.subject_id,
            f.title,
        )
    out.print(table)
    err.print(f"{len(rows)} findings")


@findings_app.command("accept")
def accept(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="Finding id (iwf-...).")],
    reason: Annotated[str, typer.Option(help="Why the risk is accepted.")],
    until: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Date the acceptance expires.")
    ],
) -> None:
    """Accept a risk until a date; it reopens when the date passes."""
    if until.date() <= dt.date.today():
        raise typer.BadParameter("the expiry date must be in the future", param_hint="--until")
    if not reason.strip():
        raise typer.BadParameter("a reason is required", param_hint="--reason")
    finding = (
        state(ctx)
        .store()
        .set_finding_status(finding_id, FindingStatus.ACCEPTED, reason.strip(), until.date())
    )
    err.print(f"{finding.id} accepted until {until.date().isoformat()}")


@findings_app.command("false-positive")
def false_positive(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="Finding id (iwf-...).")],
    reason: Annotated[str, typer.Option(help="Why the finding is wrong.")],
) -> None:
    """Mark a finding as a false positive."""
    if not reason.strip():
        raise typer.BadParameter("a reason is required", param_hint="--reason")
    finding = (
        state(ctx)
        .store()
        .set_finding_status(finding_id, FindingStatus.FALSE_POSITIVE, reason.strip())
    )
    err.print(f"{finding.id} marked false positive")
