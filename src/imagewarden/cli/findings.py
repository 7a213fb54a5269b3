"""``imagewarden findings``: list findings and record decisions about them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.app.findings import (
    FindingQuery,
    accept_risk,
    each_finding,
    mark_false_positive,
)
from imagewarden.app.findings import (
    reopen as reopen_finding,
)
from imagewarden.cli.options import DATE, parse_date
from imagewarden.cli.state import err, out, state
from imagewarden.cli.text import printable
from imagewarden.model import Finding, FindingStatus, Severity

FindingId = Annotated[str, typer.Argument(help="Finding id (iwf-...), or a unique prefix of it.")]
Reason = Annotated[str, typer.Option(help="Why; kept with the finding.")]


class ListFormat(StrEnum):
    """Output of ``findings list``."""

    TABLE = "table"
    JSON = "json"


def _as_json(finding: Finding) -> dict[str, object]:
    return {
        "id": finding.id,
        "check_id": finding.check_id,
        "title": finding.title,
        "severity": finding.severity.value,
        "risk_score": finding.risk.score,
        "status": finding.status.value,
        "site_id": finding.site_id,
        "asset_id": finding.asset_id,
        "subject_id": finding.subject_id,
        "details": dict(finding.extra),  # e.g. a CVE finding's match details
    }


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
    # No format of the listing shows evidence: leave it unread.
    query = FindingQuery(site, severity, check, status, asset, limit, evidence=False)
    # JSON and lines are written as the findings are read: a listing of a large assessment
    # holds one batch of them, not all. A terminal's table is laid out from all of them.
    rows = each_finding(state(ctx).workspace(), query)
    if output is ListFormat.JSON:
        write_json(rows)
        return
    if not out.is_terminal:
        count = write_lines(rows)
    else:
        held = list(rows)
        write_table(held)
        count = len(held)
    err.print(f"{count} findings")


TABLE_MIN_WIDTH = 100
"""Narrower terminals get one finding per block: a table there would cut the ids."""


def write_json(rows: Iterable[Finding]) -> int:
    """Findings as a JSON array, one finding per line, straight to stdout; how many."""
    handle = out.file
    handle.write("[")
    count = 0
    for finding in rows:
        handle.write(",\n  " if count else "\n  ")
        handle.write(json.dumps(_as_json(finding), ensure_ascii=False))
        count += 1
    handle.write("\n]\n" if count else "]\n")
    handle.flush()
    return count


def _cells(f: Finding) -> tuple[str, ...]:
    return (
        f.id, str(f.risk.score), f.severity.value, f.status.value, f.site_id, f.subject_id,
        f.title,
    )  # fmt: skip


HEADER = ("id", "risk", "severity", "status", "site", "subject", "finding")


def write_lines(rows: Iterable[Finding]) -> int:
    """For pipes: a header, then one tab-separated line per finding, nothing cut or wrapped;
    how many."""
    handle = out.file
    handle.write("\t".join(HEADER) + "\n")
    count = 0
    for f in rows:
        cells = (printable(" ".join(c.split())) for c in _cells(f))
        handle.write("\t".join(cells) + "\n")
        count += 1
    handle.flush()
    return count


def write_table(rows: list[Finding]) -> None:
    """For a terminal: a table when it is wide enough, otherwise one block per finding; the
    id is never shortened or wrapped (it is what ``findings accept`` takes)."""
    width = max((len(f.id) for f in rows), default=len("id"))
    if out.width < TABLE_MIN_WIDTH:
        for f in rows:
            out.print(f"{f.id}  {f.risk.score} {f.severity.value} {f.status.value}", crop=False)
            out.print(f"  {f.site_id} · {f.subject_id}")
            out.print(f"  {f.title}")
        return
    table = Table(show_lines=False)
    table.add_column("id", no_wrap=True, min_width=width, overflow="ignore")
    for column in HEADER[1:]:
        table.add_column(column, overflow="fold")
    for f in rows:
        table.add_row(*_cells(f))
    out.print(table)


def accept(
    ctx: typer.Context,
    finding_id: FindingId,
    reason: Annotated[str, typer.Option(help="Why the risk is accepted.")],
    until: Annotated[
        dt.date, typer.Option(parser=parse_date, metavar=DATE, help="Date the acceptance expires.")
    ],
) -> None:
    """Accept a risk until a date; it reopens when the date passes."""
    finding = accept_risk(
        state(ctx).workspace(),
        finding_id,
        reason=reason,
        until=until,
        today=dt.date.today(),
    )
    err.print(f"{finding.id} accepted until {until.isoformat()}")


def false_positive(
    ctx: typer.Context,
    finding_id: FindingId,
    reason: Annotated[str, typer.Option(help="Why the finding is wrong.")],
) -> None:
    """Mark a finding as a false positive."""
    finding = mark_false_positive(state(ctx).workspace(), finding_id, reason=reason)
    err.print(f"{finding.id} marked false positive")


def reopen(ctx: typer.Context, finding_id: FindingId, reason: Reason) -> None:
    """Withdraw an acceptance or a false-positive call: the finding is open again."""
    finding = reopen_finding(state(ctx).workspace(), finding_id, reason=reason)
    err.print(f"{finding.id} reopened")
