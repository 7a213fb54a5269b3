"""``imagewarden report`` and ``imagewarden board``: documents of the latest assessment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from imagewarden.app.reports import DEFAULT_TITLE, ReportFormat, write_board, write_report
from imagewarden.cli.formats import STDOUT, print_paths, stdout_file
from imagewarden.cli.state import err, state


def report(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write ('-': stdout).")],
    fmt: Annotated[
        ReportFormat, typer.Option("--format", case_sensitive=False, help="html, pdf, json or csv.")
    ] = ReportFormat.HTML,
    title: Annotated[str, typer.Option(help="Report title.")] = DEFAULT_TITLE,
    enterprise: Annotated[
        str, typer.Option(help="Name of the health system shown in the header.")
    ] = "",
) -> None:
    """Write the readiness report (HTML or PDF) or the findings (JSON, CSV) of the latest
    assessment. The PDF groups findings by weakness when there are many; JSON and CSV list
    every finding."""
    workspace = state(ctx).workspace()
    if output == STDOUT:
        with stdout_file(f"report.{fmt.value}") as temporary:
            write_report(workspace, fmt, temporary, title=title, enterprise=enterprise)
        return
    written = write_report(workspace, fmt, output, title=title, enterprise=enterprise)
    err.print(f"{fmt.value} report written")
    print_paths(written.paths)


def board(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for board.html and board.pdf.")],
    enterprise: Annotated[str, typer.Option(help="Name of the organisation.")] = "",
    pdf: Annotated[bool, typer.Option(help="Also write board.pdf.")] = True,
) -> None:
    """Write the one-page board summary: readiness, top five risks, trend, three asks."""
    written = write_board(state(ctx).workspace(), out_dir, enterprise=enterprise, pdf=pdf)
    err.print("board one-pager written")
    print_paths(written.paths)
