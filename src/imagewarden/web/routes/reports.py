"""Reports to download: the readiness report (HTML, JSON, CSV), the board one-pager, and the
OSCAL and DefectDojo exports."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from imagewarden.app.permissions import Action
from imagewarden.app.reports import ReportFormat, write_board, write_report
from imagewarden.governance import api as governance
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
    "assessment-results.json": ("OSCAL assessment results (JSON)", "application/json"),
    "poam.json": ("OSCAL plan of action and milestones (JSON)", "application/json"),
    "defectdojo.json": ("DefectDojo generic findings import (JSON)", "application/json"),
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
        if name in ("assessment-results.json", "poam.json"):
            title = f"{enterprise or 'Imaging'} cybersecurity readiness"
            paths = governance.export_oscal(caller.workspace, out, title=title).paths
            wanted = next(p for p in paths if p.name == name)
        elif name == "defectdojo.json":
            wanted = governance.export_defectdojo(caller.workspace, out / name)
        elif name.startswith("board."):
            paths = write_board(
                caller.workspace, out, enterprise=enterprise, pdf=name.endswith(".pdf")
            ).paths
            wanted = next(p for p in paths if p.name == name)
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
