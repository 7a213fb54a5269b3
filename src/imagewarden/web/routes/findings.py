"""Findings: the filtered list (HTMX partial updates), one finding, and triage actions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from imagewarden.app import findings as api
from imagewarden.app.dashboard import sites as visible_sites
from imagewarden.app.permissions import Action
from imagewarden.model import FindingStatus, Severity
from imagewarden.store.finding_views import FindingSort
from imagewarden.web.auth import Caller, requires
from imagewarden.web.forms import choice
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZES = (25, 50, 100, 200)


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@router.get("/findings")
def findings_list(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.FINDINGS_VIEW))],
    site: Annotated[str | None, Query(max_length=64)] = None,
    severity: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    check: Annotated[str | None, Query(max_length=200)] = None,
    asset: Annotated[str | None, Query(max_length=128)] = None,
    sort: Annotated[str, Query(max_length=20)] = "risk",
    order: Annotated[str, Query(max_length=4)] = "desc",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HTMLResponse:
    """Findings with server-side filter, sort and pagination; HTMX gets the table only."""
    min_severity = choice(Severity, severity, "severity")
    wanted = choice(FindingStatus, status, "status")
    order_by = choice(FindingSort, sort, "sort") or FindingSort.RISK
    site_id = _blank(site)
    if site_id is not None:
        caller.require_site(site_id)
    browse = api.FindingBrowse(
        site_id=site_id, min_severity=min_severity, status=wanted, text=q,
        check_id=_blank(check), asset_id=_blank(asset), sort=order_by,
        descending=order != "asc", offset=offset, limit=limit,
    )  # fmt: skip
    page = api.browse_findings(caller.workspace, browse, sites=caller.sites)
    params: dict[str, Any] = {
        "site": site_id or "", "severity": min_severity.value if min_severity else "",
        "status": wanted.value if wanted else "", "q": q, "check": _blank(check) or "",
        "asset": _blank(asset) or "", "sort": order_by.value,
        "order": "asc" if order == "asc" else "desc", "limit": limit,
    }  # fmt: skip
    context = {
        "page": page,
        "params": params,
        "sites": visible_sites(caller.workspace, visible=caller.sites),
        "severities": list(Severity),
        "statuses": list(FindingStatus),
        "sorts": list(FindingSort),
        "page_sizes": PAGE_SIZES,
    }
    template = "findings_table.html" if request.headers.get("hx-request") else "findings.html"
    return render(request, template, context, caller=caller)


@router.get("/findings/{finding_id}")
def finding_page(
    request: Request,
    finding_id: str,
    caller: Annotated[Caller, Depends(requires(Action.FINDINGS_VIEW))],
) -> HTMLResponse:
    """One finding: evidence, risk factors, safeguards, references, owner, comments."""
    detail = api.finding_detail(caller.workspace, finding_id)
    caller.require_site(detail.finding.site_id)
    today = dt.date.today()
    return render(
        request,
        "finding.html",
        {"detail": detail, "f": detail.finding, "tomorrow": today + dt.timedelta(days=1),
         "default_until": today + dt.timedelta(days=90)},
        caller=caller,
    )  # fmt: skip


def _target(caller: Caller, finding_id: str) -> str:
    """The full id of a finding the caller may act on (their role and its site)."""
    finding = api.get_finding(caller.workspace, finding_id)
    caller.require_site(finding.site_id)
    return finding.id


def _back(finding_id: str) -> RedirectResponse:
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)


@router.post("/findings/{finding_id}/accept")
def accept(
    finding_id: str,
    caller: Annotated[Caller, Depends(requires(Action.FINDINGS_TRIAGE))],
    reason: Annotated[str, Form(max_length=2000)],
    until: Annotated[dt.date, Form()],
) -> Response:
    """Accept the risk until a date, with a reason."""
    full = _target(caller, finding_id)
    api.accept_risk(caller.workspace, full, reason=reason, until=until, today=dt.date.today())
    return _back(full)


@router.post("/findings/{finding_id}/false-positive")
def false_positive(
    finding_id: str,
    caller: Annotated[Caller, Depends(requires(Action.FINDINGS_TRIAGE))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Mark the finding a false positive, with a reason."""
    full = _target(caller, finding_id)
    api.mark_false_positive(caller.workspace, full, reason=reason)
    return _back(full)


@router.post("/findings/{finding_id}/reopen")
def reopen(
    finding_id: str,
    caller: Annotated[Caller, Depends(requires(Action.FINDINGS_TRIAGE))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Withdraw an acceptance or a false-positive call."""
    full = _target(caller, finding_id)
    api.reopen(caller.workspace, full, reason=reason)
    return _back(full)


@router.post("/findings/{finding_id}/owner")
def owner(
    finding_id: str,
    caller: Annotated[Caller, Depends(requires(Action.FINDINGS_COMMENT))],
    owner: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Name who owns the remediation."""
    full = _target(caller, finding_id)
    api.assign_owner(caller.workspace, full, owner)
    return _back(full)


@router.post("/findings/{finding_id}/comment")
def comment(
    finding_id: str,
    caller: Annotated[Caller, Depends(requires(Action.FINDINGS_COMMENT))],
    text: Annotated[str, Form(max_length=4000)],
) -> Response:
    """Add a comment."""
    full = _target(caller, finding_id)
    api.comment(caller.workspace, full, text)
    return _back(full)
