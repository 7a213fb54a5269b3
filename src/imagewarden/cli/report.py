"""``imagewarden report``: render the latest assessment."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from imagewarden.cli.state import err, out, state
from imagewarden.model import UserInputError
from imagewarden.report import render_report
from imagewarden.report.gather import gather_context


class ReportFormat(StrEnum):
    HTML = "html"
    JSON = "json"
    CSV = "csv"


def report(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    fmt: Annotated[
        ReportFormat, typer.Option("--format", case_sensitive=False, help="html, json or csv.")
    ] = ReportFormat.HTML,
    title: Annotated[str, typer.Option(help="Report title.")] = "Imaging cybersecurity readiness",
    enterprise: Annotated[
        str, typer.Option(help="Name of the health system shown in the header.")
    ] = "",
) -> None:
    """Write the readiness report (HTML) or the findings (JSON, CSV) of the latest assessment."""
    cli = state(ctx)
    store = cli.store()
    if store.latest_assessment() is None:
        raise UserInputError("no assessment yet", hint="run 'imagewarden assess' first")
    if output.is_dir():
        raise UserInputError("is a directory; give a file name", hint=str(output))
    if not output.parent.exists():
        raise UserInputError(f"folder {output.parent} does not exist")
    context = gather_context(store, cli.catalog, title=title, enterprise=enterprise)
    render_report(context, fmt.value, output)
    err.print(f"{fmt.value} report written")
    out.print(str(output))


def register(app: typer.Typer) -> None:
    app.command()(report)
