"""The dashboard: readiness, trend, top risks, findings by site and severity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from imagewarden.app.dashboard import dashboard as build_dashboard
from imagewarden.app.permissions import Action
from imagewarden.web.auth import Caller, requires
from imagewarden.web.charts import trend_bars
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(
    request: Request, caller: Annotated[Caller, Depends(requires(Action.DASHBOARD_VIEW))]
) -> HTMLResponse:
    """The first page: where the department stands and what to do first."""
    board = build_dashboard(caller.workspace, sites=caller.sites)
    return render(
        request, "dashboard.html", {"board": board, "trend": trend_bars(board.trend)},
        caller=caller,
    )  # fmt: skip
