"""Findings: list them, and record a person's decision about one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.model import Finding, FindingStatus, Severity, UserInputError
from imagewarden.store import FindingFilter, triage
from imagewarden.store import finding_views as views
from imagewarden.store.finding_views import FindingSearch, FindingSort, Page
from imagewarden.store.triage import Comment, Ownership


@dataclass(frozen=True, slots=True)
class FindingQuery:
    """Which findings to list; every field narrows the list."""

    site_id: str | None = None
    min_severity: Severity | None = None
    check_id: str | None = None
    status: FindingStatus | None = None
    asset_id: str | None = None
    limit: int = 0
    """At most this many (0: all), highest risk first."""
    evidence: bool = True
    """Read each finding's evidence; a listing that does not show it leaves it out."""


def list_findings(workspace: Workspace, query: FindingQuery = FindingQuery()) -> list[Finding]:
    """Findings matching ``query``, highest risk first; an unknown site is a user error."""
    return list(each_finding(workspace, query))


def each_finding(workspace: Workspace, query: FindingQuery = FindingQuery()) -> Iterator[Finding]:
    """``list_findings`` one at a time, read as they are taken (a listing written out as it
    is read holds one batch). An unknown site or asset is a user error raised here, before
    the first finding is taken."""
    store = workspace.store
    if query.site_id is not None:
        store.site(query.site_id)
    if query.asset_id is not None:
        store.asset(query.asset_id)
    where = FindingFilter(
        query.site_id, query.min_severity, query.check_id, query.status, query.asset_id
    )
    return store.each_finding(where, evidence=query.evidence, limit=query.limit)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise UserInputError("a reason is required", hint="--reason")
    return text


def accept_risk(
    workspace: Workspace, finding_id: str, *, reason: str, until: dt.date, today: dt.date
) -> Finding:
    """Accept a finding's risk until ``until`` (after ``today``); it reopens when it passes.

    ``finding_id`` may be any unique prefix of the id.
    """
    if until <= today:
        raise UserInputError("the expiry date must be in the future", hint="--until")
    store = workspace.store
    full = store.resolve_finding_id(finding_id)
    return store.set_finding_status(
        full, FindingStatus.ACCEPTED, _reason(reason), until, actor=workspace.actor
    )


def mark_false_positive(workspace: Workspace, finding_id: str, *, reason: str) -> Finding:
    """Record that a finding is wrong; it stays so while the weakness is still observed."""
    store = workspace.store
    full = store.resolve_finding_id(finding_id)
    return store.set_finding_status(
        full, FindingStatus.FALSE_POSITIVE, _reason(reason), actor=workspace.actor
    )


def reopen(workspace: Workspace, finding_id: str, *, reason: str) -> Finding:
    """Withdraw an acceptance or a false-positive call: the finding is open again."""
    store = workspace.store
    full = store.resolve_finding_id(finding_id)
    return store.set_finding_status(
        full, FindingStatus.OPEN, _reason(reason), actor=workspace.actor
    )


# --- the workspace's view of findings: pages, detail, owner and comments ------------------

MAX_PAGE = 500
"""Most findings one page may hold."""


@dataclass(frozen=True, slots=True)
class FindingBrowse:
    """A page request over findings: filters, sort and window (see ``FindingSearch``)."""

    site_id: str | None = None
    min_severity: Severity | None = None
    severity: Severity | None = None
    status: FindingStatus | None = None
    current_only: bool = False
    check_id: str | None = None
    asset_id: str | None = None
    text: str = ""
    sort: FindingSort = FindingSort.RISK
    descending: bool = True
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A finding as a list shows it, with its owner."""

    finding: Finding
    owner: str


def browse_findings(
    workspace: Workspace, browse: FindingBrowse, *, sites: frozenset[str] | None = None
) -> Page[FindingRow]:
    """One page of findings (highest risk first by default); ``sites`` is the reader's scope."""
    if browse.offset < 0 or not 1 <= browse.limit <= MAX_PAGE:
        raise UserInputError(f"a page holds 1 to {MAX_PAGE} findings from offset 0 or more")
    search = FindingSearch(
        sites=sites,
        site_id=browse.site_id,
        min_severity=browse.min_severity,
        severity=browse.severity,
        status=browse.status,
        current_only=browse.current_only,
        check_id=browse.check_id,
        asset_id=browse.asset_id,
        text=browse.text[:200],
        sort=browse.sort,
        descending=browse.descending,
        offset=browse.offset,
        limit=browse.limit,
    )
    page = views.finding_page(workspace.store, search)
    owned = triage.owners(workspace.store, [f.id for f in page.items])
    rows = tuple(FindingRow(f, owned[f.id].owner if f.id in owned else "") for f in page.items)
    return Page(rows, page.total, page.offset, page.limit)


@dataclass(frozen=True, slots=True)
class SafeguardAdvice:
    """A recommended safeguard as a finding's page shows it."""

    id: str
    title: str
    type: str
    layer: str
    description: str
    refs: tuple[str, ...]
    """Framework references, e.g. ``nist-csf-2.0 PR.IR-01``."""


@dataclass(frozen=True, slots=True)
class FindingDetail:
    """Everything a person triaging one finding needs to see."""

    finding: Finding
    why: str
    """The check's explanation."""
    check_refs: tuple[str, ...]
    safeguards: tuple[SafeguardAdvice, ...]
    owner: Ownership | None
    comments: tuple[Comment, ...]


def _ref(framework: str, requirement: str, edition: str | None) -> str:
    return f"{framework}{f' ({edition})' if edition else ''} {requirement}"


def finding_detail(workspace: Workspace, finding_id: str) -> FindingDetail:
    """A finding with its explanation, safeguards, references, owner and comments."""
    store = workspace.store
    full = store.resolve_finding_id(finding_id)
    finding = views.finding(store, full)
    if finding is None:  # deleted between the two reads
        raise UserInputError(f"no finding with id {finding_id[:60]!r}")
    catalog = workspace.catalog
    check = catalog.checks.get(finding.check_id)
    advice = []
    for urn in finding.safeguards:
        safeguard = catalog.safeguards.get(urn)
        if safeguard is None:
            advice.append(SafeguardAdvice(urn, urn, "", "", "", ()))
            continue
        advice.append(
            SafeguardAdvice(
                safeguard.id,
                safeguard.title,
                safeguard.type.value,
                safeguard.layer.value,
                safeguard.description,
                tuple(_ref(r.framework, r.id, r.edition) for r in safeguard.refs),
            )
        )
    return FindingDetail(
        finding=finding,
        why=check.why if check is not None else "",
        check_refs=tuple(_ref(r.framework, r.id, r.edition) for r in check.refs)
        if check is not None
        else (),
        safeguards=tuple(advice),
        owner=triage.owners(store, [full]).get(full),
        comments=tuple(triage.comments(store, full)),
    )


def assign_owner(
    workspace: Workspace, finding_id: str, owner: str, *, now: dt.datetime | None = None
) -> Ownership:
    """Name who owns a finding's remediation (empty: nobody); audited."""
    text = owner.strip()
    if len(text) > 200:
        raise UserInputError("an owner's name has at most 200 characters")
    full = workspace.store.resolve_finding_id(finding_id)
    return triage.assign_owner(
        workspace.store, workspace.actor, full, text, now=now or dt.datetime.now(dt.UTC)
    )


def comment(
    workspace: Workspace, finding_id: str, text: str, *, now: dt.datetime | None = None
) -> Comment:
    """Add a comment to a finding; audited with its text."""
    body = text.strip()
    if not body:
        raise UserInputError("the comment is empty")
    if len(body) > triage.COMMENT_LIMIT:
        raise UserInputError(f"a comment has at most {triage.COMMENT_LIMIT} characters")
    full = workspace.store.resolve_finding_id(finding_id)
    return triage.add_comment(
        workspace.store, workspace.actor, full, body, now=now or dt.datetime.now(dt.UTC)
    )


def get_finding(workspace: Workspace, finding_id: str) -> Finding:
    """The finding with this id (or unique prefix of it)."""
    full = workspace.store.resolve_finding_id(finding_id)
    finding = views.finding(workspace.store, full)
    if finding is None:
        raise UserInputError(f"no finding with id {finding_id[:60]!r}")
    return finding
