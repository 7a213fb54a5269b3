"""The plan of action: its items by site and status, one item edited at a time, and the
quarterly review leadership holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from imagewarden.app.dashboard import sites as visible_sites
from imagewarden.app.permissions import Action
from imagewarden.governance import api
from imagewarden.governance.interface import PlanItem, PlanStatus
from imagewarden.model import UserInputError
from imagewarden.web.auth import Caller, requires
from imagewarden.web.forms import choice, form_date
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 300
"""Items shown at most; the CSV export holds them all."""


@router.get("/plan")
def plan(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.PLAN_VIEW))],
    site: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    owner: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Plan items the caller may see (active first, by due date), and the quarter's review."""
    site_id = site.strip() or None
    if site_id is not None:
        caller.require_site(site_id)
    wanted = choice(PlanStatus, status, "status")
    allowed = caller.sites
    items = [
        i for i in api.plan_items(caller.workspace)
        if caller.principal.may_see_site(i.site_id)
        and (site_id is None or i.site_id == site_id)
        and (wanted is None or i.status is wanted)
        and (not owner.strip() or owner.strip().lower() in i.owner.lower())
    ]  # fmt: skip
    context = {
        "items": items[:PAGE],
        "total": len(items),
        "review": api.plan_review(caller.workspace, items=items),
        "params": {"site": site_id or "", "status": status.strip(), "owner": owner.strip()},
        "sites": visible_sites(caller.workspace, visible=allowed),
        "statuses": list(PlanStatus),
        "editable": api.EDITABLE_STATUSES,
    }
    return render(request, "plan.html", context, caller=caller)


@router.post("/plan/{item_id}")
def edit_item(
    item_id: str,
    caller: Annotated[Caller, Depends(requires(Action.PLAN_EDIT))],
    revision: Annotated[int, Form(ge=0)],
    status: Annotated[str, Form(max_length=20)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    due: Annotated[str, Form(max_length=10)] = "",
    milestone: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Change one item's status, owner, due date or milestone; refused if someone changed
    the item since this page was read (the form carries the revision it showed)."""
    item = _item(caller, item_id)
    caller.require_site(item.site_id)
    new_status = choice(PlanStatus, status, "status")
    new_due = form_date(due, "due")
    # A blank field leaves the value as it is (an owner or milestone cannot be emptied).
    new_owner, new_milestone = owner.strip(), milestone.strip()
    change_owner = new_owner if new_owner and new_owner != item.owner else None
    change_due = new_due if new_due is not None and new_due != item.due_on else None
    change_status = new_status if new_status not in (None, item.status) else None
    change_milestone = new_milestone if new_milestone and new_milestone != item.milestone else None
    changed = item
    if (change_owner, change_due, change_status, change_milestone) != (None, None, None, None):
        changed = api.edit_plan_item(
            caller.workspace, item.id, owner=change_owner, due=change_due,
            status=change_status, milestone=change_milestone, expected_revision=revision,
        )  # fmt: skip
    return RedirectResponse(f"/plan?site={changed.site_id}#{changed.id}", status_code=303)


def _item(caller: Caller, item_id: str) -> PlanItem:
    for item in api.plan_items(caller.workspace):
        if item.id == item_id:
            return item
    raise UserInputError(f"no plan item {item_id[:60]!r}")
