"""The JSON API under /api/v1, for automation: a SIEM or ticketing system pulling findings,
a script pushing an inventory. Authenticated by API tokens (``Authorization: Bearer``);
documented by the OpenAPI schema at /api/v1/openapi.json. Same permissions as the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from imagewarden.app import assets as asset_api
from imagewarden.app import findings as finding_api
from imagewarden.app.audit import AuditQuery, audit_entries
from imagewarden.app.permissions import Action
from imagewarden.inventory.api import MAX_UPLOAD, import_upload
from imagewarden.model import Asset, AssetType, Finding, FindingStatus, Severity, UserInputError
from imagewarden.store.finding_views import FindingSort
from imagewarden.web.auth import Caller, api_requires, public

router = APIRouter(prefix="/api/v1", tags=["api"])

Scalar = bool | int | float | str


class ErrorOut(BaseModel):
    """An error: one line saying what is wrong."""

    detail: str


class ValidationItem(BaseModel):
    """One invalid parameter."""

    loc: list[str]
    msg: str


class ValidationOut(BaseModel):
    """The parameters that are invalid."""

    detail: list[ValidationItem]


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Invalid input"},
    401: {"model": ErrorOut, "description": "No valid API token"},
    403: {"model": ErrorOut, "description": "The token's role may not do this"},
    404: {"model": ErrorOut, "description": "No such object"},
    422: {"model": ValidationOut, "description": "Invalid parameters"},
    503: {"model": ErrorOut, "description": "The database is unavailable"},
}


class RiskFactorOut(BaseModel):
    """One contribution to a risk score."""

    name: str
    level: str
    points: float
    reason: str


class FindingOut(BaseModel):
    """A finding."""

    id: str
    check_id: str
    title: str
    severity: Severity
    risk_score: int
    status: FindingStatus
    status_reason: str
    accepted_until: dt.date | None
    site_id: str
    asset_id: str | None
    subject_kind: str
    subject_id: str
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    owner: str = ""
    extra: dict[str, Scalar] = Field(default_factory=dict)
    """Producer details, e.g. CVE id, KEV, EPSS, priority."""


class SafeguardOut(BaseModel):
    """A recommended safeguard with its framework references."""

    id: str
    title: str
    layer: str
    refs: list[str]


class CommentOut(BaseModel):
    """A comment on a finding."""

    author: str
    at: dt.datetime
    text: str


class FindingDetailOut(FindingOut):
    """A finding with its evidence, risk factors, explanation and safeguards."""

    why: str
    evidence: dict[str, Scalar]
    risk_factors: list[RiskFactorOut]
    safeguards: list[SafeguardOut]
    references: list[str]
    comments: list[CommentOut]


class FindingPageOut(BaseModel):
    """One page of findings."""

    total: int
    offset: int
    limit: int
    items: list[FindingOut]


class AcceptIn(BaseModel):
    """Accept a finding's risk until a date."""

    reason: str = Field(min_length=1, max_length=2000)
    until: dt.date


class ServiceOut(BaseModel):
    """A service an asset exposes."""

    protocol: str
    port: int
    tls: bool | None
    ae_title: str


class AssetOut(BaseModel):
    """An asset."""

    id: str
    site_id: str
    name: str
    type: str
    vendor: str
    model: str
    software_version: str
    os: str
    os_version: str
    ip_addresses: list[str]
    hostname: str
    network_zone: str
    criticality: str
    managed: bool
    services: list[ServiceOut]


class AssetPageOut(BaseModel):
    """One page of assets."""

    total: int
    offset: int
    limit: int
    items: list[AssetOut]


class ImportOut(BaseModel):
    """What an inventory upload added."""

    file: str
    sites: int
    assets: int
    assets_added: int
    assets_updated: int
    observations: int


class AuditOut(BaseModel):
    """One audit entry."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _scalar(value: object) -> Scalar:
    return value if isinstance(value, bool | int | float | str) else str(value)


def _finding(f: Finding, owner: str = "") -> FindingOut:
    return FindingOut(
        id=f.id, check_id=f.check_id, title=f.title, severity=f.severity,
        risk_score=f.risk.score, status=f.status, status_reason=f.status_reason,
        accepted_until=f.accepted_until, site_id=f.site_id, asset_id=f.asset_id,
        subject_kind=f.subject_kind.value, subject_id=f.subject_id, first_seen=f.first_seen,
        last_seen=f.last_seen, owner=owner, extra={k: _scalar(v) for k, v in f.extra.items()},
    )  # fmt: skip


def _asset(a: Asset) -> AssetOut:
    return AssetOut(
        id=a.id, site_id=a.site_id, name=a.name, type=a.type.value, vendor=a.vendor,
        model=a.model, software_version=a.software_version, os=a.os, os_version=a.os_version,
        ip_addresses=list(a.ip_addresses), hostname=a.hostname,
        network_zone=a.network_zone.value, criticality=a.criticality.value, managed=a.managed,
        services=[
            ServiceOut(protocol=s.protocol.value, port=s.port, tls=s.tls, ae_title=s.ae_title)
            for s in a.services
        ],
    )  # fmt: skip


class NotFound(Exception):
    """An object named in the path does not exist (or the caller may not see it): 404."""


def _lookup(caller: Caller, finding_id: str) -> Finding:
    """The finding behind a path id the caller may see, else ``NotFound``."""
    try:
        found = finding_api.get_finding(caller.workspace, finding_id)
    except UserInputError:
        raise NotFound() from None
    if not caller.principal.may_see_site(found.site_id):
        raise NotFound()
    return found


@router.get("/openapi.json", include_in_schema=False, dependencies=[Depends(public())])
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI schema of this API."""
    return JSONResponse(request.app.openapi())


@router.get("/findings", response_model=FindingPageOut, responses=RESPONSES)
def list_findings(
    caller: Annotated[Caller, Depends(api_requires(Action.FINDINGS_VIEW))],
    site: Annotated[str | None, Query(max_length=64)] = None,
    severity: Annotated[Severity | None, Query(description="This severity or higher")] = None,
    status: Annotated[FindingStatus | None, Query()] = None,
    check: Annotated[str | None, Query(max_length=200)] = None,
    asset: Annotated[str | None, Query(max_length=128)] = None,
    q: Annotated[str, Query(max_length=200, description="Part of title, id or subject")] = "",
    sort: Annotated[FindingSort, Query()] = FindingSort.RISK,
    descending: Annotated[bool, Query()] = True,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FindingPageOut:
    """Findings, filtered and paginated (highest risk first by default)."""
    if site:
        caller.require_site(site)
    browse = finding_api.FindingBrowse(
        site_id=site or None, min_severity=severity, status=status, check_id=check or None,
        asset_id=asset or None, text=q, sort=sort, descending=descending, offset=offset,
        limit=limit,
    )  # fmt: skip
    page = finding_api.browse_findings(caller.workspace, browse, sites=caller.sites)
    return FindingPageOut(
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        items=[_finding(r.finding, r.owner) for r in page.items],
    )


@router.get("/findings/{finding_id}", response_model=FindingDetailOut, responses=RESPONSES)
def get_finding(
    finding_id: str, caller: Annotated[Caller, Depends(api_requires(Action.FINDINGS_VIEW))]
) -> FindingDetailOut:
    """One finding with evidence, risk factors, safeguards and comments."""
    found = _lookup(caller, finding_id)
    detail = finding_api.finding_detail(caller.workspace, found.id)
    f = detail.finding
    base = _finding(f, detail.owner.owner if detail.owner else "")
    return FindingDetailOut(
        **base.model_dump(),
        why=detail.why,
        evidence={k: _scalar(v) for k, v in f.evidence.items()},
        risk_factors=[
            RiskFactorOut(name=r.name, level=r.level, points=r.points, reason=r.reason)
            for r in f.risk.factors
        ],
        safeguards=[
            SafeguardOut(id=s.id, title=s.title, layer=s.layer, refs=list(s.refs))
            for s in detail.safeguards
        ],
        references=list(detail.check_refs),
        comments=[CommentOut(author=c.author, at=c.at, text=c.text) for c in detail.comments],
    )


@router.post("/findings/{finding_id}/accept", response_model=FindingOut, responses=RESPONSES)
def accept_finding(
    finding_id: str,
    body: AcceptIn,
    caller: Annotated[Caller, Depends(api_requires(Action.FINDINGS_TRIAGE))],
) -> FindingOut:
    """Accept a finding's risk until a date, with a reason (audited)."""
    found = _lookup(caller, finding_id)
    caller.require(Action.FINDINGS_TRIAGE, found.site_id)
    done = finding_api.accept_risk(
        caller.workspace, found.id, reason=body.reason, until=body.until, today=dt.date.today()
    )
    return _finding(done)


@router.get("/assets", response_model=AssetPageOut, responses=RESPONSES)
def list_assets(
    caller: Annotated[Caller, Depends(api_requires(Action.ASSETS_VIEW))],
    site: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[AssetType | None, Query()] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AssetPageOut:
    """Assets by site then id, filtered and paginated."""
    if site:
        caller.require_site(site)
    page = asset_api.browse_assets(
        caller.workspace,
        asset_api.AssetBrowse(site_id=site or None, asset_type=type, text=q, offset=offset,
                              limit=limit),
        sites=caller.sites,
    )  # fmt: skip
    return AssetPageOut(
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        items=[_asset(a) for a in page.items],
    )


@router.post("/inventory", response_model=ImportOut, responses=RESPONSES)
async def upload_inventory(
    caller: Annotated[Caller, Depends(api_requires(Action.INVENTORY_IMPORT))],
    file: Annotated[UploadFile, File(description="An inventory file, .csv or .json")],
) -> ImportOut:
    """Import one inventory file, all or nothing (errors name the line and field)."""
    content = await file.read(MAX_UPLOAD + 1)
    done = await run_in_threadpool(
        import_upload, caller.workspace, file.filename or "upload", content
    )
    return ImportOut(
        file=done.name,
        sites=done.sites,
        assets=done.assets,
        assets_added=done.summary.assets_added,
        assets_updated=done.summary.assets_updated,
        observations=done.summary.observations,
    )


@router.get("/audit", response_model=list[AuditOut], responses=RESPONSES)
def audit(
    caller: Annotated[Caller, Depends(api_requires(Action.AUDIT_VIEW))],
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    target: Annotated[str | None, Query(max_length=300)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """Audit entries, newest first; page backwards with ``before`` (the last id seen)."""
    rows = audit_entries(
        caller.workspace, AuditQuery(action or None, actor or None, limit, target, before)
    )
    return [
        AuditOut(
            id=e.id, at=e.at, actor=e.actor, action=e.action, target=e.target,
            before=dict(e.before) if e.before is not None else None,
            after=dict(e.after) if e.after is not None else None,
        )
        for e in rows
    ]  # fmt: skip
