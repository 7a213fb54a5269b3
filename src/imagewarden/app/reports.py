"""Reports: the readiness report (HTML, PDF, JSON, CSV) and the board one-pager (HTML, PDF)."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from imagewarden.app.workspace import Workspace
from imagewarden.model import UserInputError
from imagewarden.report import html as html_report
from imagewarden.report import render_report
from imagewarden.report.board import write_board as write_board_files
from imagewarden.report.gather import gather_context
from imagewarden.store.bulk import no_cyclic_gc
from imagewarden.store.finding_stream import StoredFindings

DEFAULT_TITLE = "Imaging cybersecurity readiness"


class ReportFormat(StrEnum):
    """The formats of the readiness report."""

    HTML = "html"
    PDF = "pdf"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class WrittenFiles:
    """Files a command wrote, in the order written."""

    paths: tuple[Path, ...]


def _writable_file(path: Path) -> None:
    if path.is_dir():
        raise UserInputError("is a directory; give a file name", hint=str(path))
    if not path.parent.exists():
        raise UserInputError(f"folder {path.parent} does not exist")


def write_report(
    workspace: Workspace,
    fmt: ReportFormat,
    out: Path,
    *,
    title: str = DEFAULT_TITLE,
    enterprise: str = "",
    now: dt.datetime | None = None,
) -> WrittenFiles:
    """Write the latest assessment's report as ``fmt`` to ``out``, atomically."""
    _writable_file(out)
    # Reading every finding and asset makes millions of short-lived objects without cycles,
    # each counting towards collections that scan the whole context (6% of a large HTML
    # report's time). PDF layout builds and drops box trees that do hold cycles: it keeps
    # the collector.
    bulk = no_cyclic_gc() if fmt is not ReportFormat.PDF else contextlib.nullcontext()
    with bulk, workspace.store.snapshot() as snapshot:
        # Above the HTML report's detail limit the findings are streamed from one snapshot
        # of the store on each pass, and the HTML shows evidence for the top-risk assets only.
        stored = StoredFindings(snapshot, complete=fmt is not ReportFormat.HTML)
        context = gather_context(
            workspace.store,
            workspace.catalog,
            workspace.capabilities,
            title=title,
            enterprise=enterprise,
            now=now,
            findings=stored if len(stored) > html_report.DETAIL_LIMIT else None,
        )
        render_report(context, fmt.value, out)
    return WrittenFiles((out,))


def write_board(
    workspace: Workspace,
    out_dir: Path,
    *,
    enterprise: str,
    pdf: bool = True,
    now: dt.datetime | None = None,
) -> WrittenFiles:
    """Write the board one-pager (``board.html``, and ``board.pdf``) into ``out_dir``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError("exists and is not a folder", hint=str(out_dir))
    context = gather_context(
        workspace.store,
        workspace.catalog,
        workspace.capabilities,
        title="Board one-pager",
        enterprise=enterprise,
        now=now,
        board=True,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    html = out_dir / "board.html"
    pdf_path = out_dir / "board.pdf" if pdf else None
    write_board_files(context, html, pdf_path)
    return WrittenFiles((html,) if pdf_path is None else (html, pdf_path))
