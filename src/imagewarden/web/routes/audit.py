"""The audit log, with filters, and whether its hash chain is intact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from imagewarden.app.audit import AuditQuery, audit_actions, audit_entries, verify_audit
from imagewarden.app.permissions import Action
from imagewarden.web.auth import Caller, requires
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/audit")
def audit_log(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.AUDIT_VIEW))],
    action: Annotated[str, Query(max_length=80)] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    target: Annotated[str, Query(max_length=300)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
    verify: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """Audit entries, newest first, filtered; ``verify`` recomputes the chain."""
    query = AuditQuery(action or None, actor or None, PAGE, target or None, before)
    entries = audit_entries(caller.workspace, query)
    context = {
        "entries": entries,
        "actions": audit_actions(caller.workspace),
        "params": {"action": action, "actor": actor, "target": target},
        "next_before": entries[-1].id if len(entries) == PAGE else None,
        "check": verify_audit(caller.workspace) if verify else None,
    }
    return render(request, "audit.html", context, caller=caller)
