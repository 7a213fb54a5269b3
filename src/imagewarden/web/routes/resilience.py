"""Resilience: downtime and ransomware drills (run log, after-action items) and the history
of backup checks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from imagewarden.app.dashboard import sites as visible_sites
from imagewarden.app.permissions import Action
from imagewarden.model import UserInputError
from imagewarden.resilience import api
from imagewarden.resilience.drills import DrillLogKind
from imagewarden.web.auth import Caller, requires
from imagewarden.web.forms import choice, form_date
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)
BACKUP_CHECKS_SHOWN = 200


@router.get("/drills")
def drills(
    request: Request, caller: Annotated[Caller, Depends(requires(Action.DRILLS_VIEW))]
) -> HTMLResponse:
    """Every drill the caller may see, by date, and the improvement items still open."""
    overview = api.drill_overview(caller.workspace)
    see = caller.principal.may_see_site
    drill_sites = {d.id: d.site_id for d in overview.drills}
    context = {
        "drills": [d for d in overview.drills if see(d.site_id)],
        "open_items": [i for i in overview.open_items if see(drill_sites.get(i.drill_id, ""))],
        "today": overview.today,
    }
    return render(request, "drills.html", context, caller=caller)


@router.get("/drills/{drill_id}")
def drill_page(
    request: Request,
    drill_id: int,
    caller: Annotated[Caller, Depends(requires(Action.DRILLS_VIEW))],
) -> HTMLResponse:
    """One drill: its state, run log and after-action items."""
    detail = api.drill_detail(caller.workspace, drill_id)
    caller.require_site(detail.drill.site_id)
    context = {
        "detail": detail,
        "d": detail.drill,
        "kinds": list(DrillLogKind),
        "today": dt.date.today(),
    }
    return render(request, "drill.html", context, caller=caller)


@router.post("/drills/{drill_id}/log")
def log_entry(
    drill_id: int,
    caller: Annotated[Caller, Depends(requires(Action.DRILLS_RECORD))],
    text: Annotated[str, Form(max_length=2000)],
    kind: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add an entry to the run log (the first starts the drill; a finished drill refuses)."""
    drill = api.drill_detail(caller.workspace, drill_id).drill
    caller.require_site(drill.site_id)
    api.log_drill(
        caller.workspace, drill_id, text, choice(DrillLogKind, kind, "kind") or DrillLogKind.ACTION
    )
    return RedirectResponse(f"/drills/{drill_id}", status_code=303)


@router.post("/drills/{drill_id}/items/{item_id}/done")
def item_done(
    drill_id: int,
    item_id: int,
    caller: Annotated[Caller, Depends(requires(Action.DRILLS_RECORD))],
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Mark an improvement item of a finished drill done."""
    detail = api.drill_detail(caller.workspace, drill_id)
    caller.require_site(detail.drill.site_id)
    if item_id not in {i.id for i in detail.items}:
        raise UserInputError(f"drill {drill_id} has no item {item_id}")
    api.complete_drill_item(caller.workspace, item_id, form_date(on, "on") or dt.date.today())
    return RedirectResponse(f"/drills/{drill_id}", status_code=303)


@router.get("/backups")
def backups(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.BACKUPS_VIEW))],
    asset: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse:
    """Backup verifications and restore tests, newest first, on assets the caller may see."""
    workspace = caller.workspace
    sites = {s.id: s.name for s in visible_sites(workspace, visible=caller.sites)}
    asset_sites = {a.id: a.site_id for a in workspace.store.assets()}
    checks = [
        c for c in api.backup_checks(workspace, limit=BACKUP_CHECKS_SHOWN,
                                     asset_id=asset.strip() or None)
        if not c.asset_id or caller.principal.may_see_site(asset_sites.get(c.asset_id, ""))
    ]  # fmt: skip
    context = {"checks": checks, "asset": asset.strip(), "asset_sites": asset_sites, "sites": sites}
    return render(request, "backups.html", context, caller=caller)
