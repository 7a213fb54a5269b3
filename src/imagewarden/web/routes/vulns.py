"""Vulnerabilities: CVE findings with KEV, EPSS, priority and confidence filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from imagewarden.app.dashboard import sites as visible_sites
from imagewarden.app.permissions import Action
from imagewarden.model import UserInputError
from imagewarden.vulns import api
from imagewarden.vulns.interface import Confidence, Priority
from imagewarden.web.auth import Caller, requires
from imagewarden.web.forms import choice
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 200
"""CVE findings shown at most (most urgent first); the CSV/JSON exports hold them all."""


@router.get("/vulnerabilities")
def vulnerabilities(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.VULNS_VIEW))],
    site: Annotated[str, Query(max_length=64)] = "",
    kev: Annotated[bool, Query()] = False,
    ransomware: Annotated[bool, Query()] = False,
    epss: Annotated[str, Query(max_length=8)] = "",
    priority: Annotated[str, Query(max_length=20)] = "",
    confidence: Annotated[str, Query(max_length=20)] = "",
    cve: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    """CVE findings on the sites the caller may see, most urgent first."""
    site_id = site.strip() or None
    if site_id is not None:
        caller.require_site(site_id)
    query = api.VulnQuery(
        site_id=site_id, kev_only=kev, ransomware_only=ransomware, epss_above=_epss(epss),
        priority=choice(Priority, priority, "priority"),
        confidence=choice(Confidence, confidence, "confidence"), cve=cve.strip() or None,
    )  # fmt: skip
    allowed = caller.sites
    rows = [
        r for r in api.list_vulns(caller.workspace, query)
        if allowed is None or r.finding.site_id in allowed
    ]  # fmt: skip
    params = {
        "site": site_id or "", "kev": kev, "ransomware": ransomware, "epss": epss.strip(),
        "priority": priority.strip(), "confidence": confidence.strip(), "cve": cve.strip(),
    }  # fmt: skip
    context = {
        "rows": rows[:PAGE],
        "total": len(rows),
        "params": params,
        "sites": visible_sites(caller.workspace, visible=allowed),
        "priorities": list(Priority),
        "confidences": list(Confidence),
    }
    template = "vulns_table.html" if request.headers.get("hx-request") else "vulns.html"
    return render(request, template, context, caller=caller)


def _epss(text: str) -> float | None:
    """An EPSS threshold typed as a probability (0.1) or a percentage (10%)."""
    value = text.strip()
    if not value:
        return None
    try:
        number = float(value.rstrip("%"))
    except ValueError:
        raise UserInputError(f"epss: {value[:20]!r} is not a number") from None
    if value.endswith("%") or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise UserInputError("epss: give a probability between 0 and 1 (or 0% to 100%)")
    return number
