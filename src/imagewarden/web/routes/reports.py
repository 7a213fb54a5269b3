"""Reports to download: the readiness report (HTML, JSON, CSV) and the board one-pager."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from imagewarden.app.permissions import Action
from imagewarden.app.reports import ReportFormat, write_board, write_report
from imagewarden.model import UserInputError
from imagewarden.web.auth import Caller, requires
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)

DOWNLOADS: dict[str, tuple[str, str]] = {
    "readiness.html": ("Readiness report (HTML)", "text/html; charset=utf-8"),
    "findings.json": ("Findings (JSON)", "application/json"),
    "findings.csv": ("Findings (CSV)", "text/csv; charset=utf-8"),
    "board.html": ("Board one-pager (HTML)", "text/html; charset=utf-8"),
    "board.pdf": ("Board one-pager (PDF)", "application/pdf"),
}


@router.get("/reports")
def reports_page(
    request: Request, caller: Annotated[Caller, Depends(requires(Action.REPORTS_VIEW))]
) -> HTMLResponse:
    """The reports a person can download."""
    return render(request, "reports.html", {"downloads": DOWNLOADS}, caller=caller)


def _produce(caller: Caller, name: str, enterprise: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="imagewarden-report-") as folder:
        out = Path(folder)
        if name.startswith("board."):
            written = write_board(
                caller.workspace, out, enterprise=enterprise, pdf=name.endswith(".pdf")
            )
            wanted = next(p for p in written.paths if p.name == name)
        else:
            fmt = ReportFormat(name.rsplit(".", 1)[1])
            wanted = out / name
            write_report(caller.workspace, fmt, wanted, enterprise=enterprise)
        return wanted.read_bytes()


@router.get("/reports/{name}")
async def download(
    request: Request,
    name: str,
    caller: Annotated[Caller, Depends(requires(Action.REPORTS_DOWNLOAD))],
) -> Response:
    """Produce one report now, from the latest assessment, and send it as a download."""
    if name not in DOWNLOADS:
        raise UserInputError(f"no report called {name[:60]!r}")
    enterprise = request.app.state.settings.enterprise
    body = await run_in_threadpool(_produce, caller, name, enterprise)
    return Response(
        body,
        media_type=DOWNLOADS[name][1],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
