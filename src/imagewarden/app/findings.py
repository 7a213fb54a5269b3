"""Findings: list them, and record a person's decision about one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.model import Finding, FindingStatus, Severity, UserInputError
from imagewarden.store import FindingFilter


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


def list_findings(workspace: Workspace, query: FindingQuery = FindingQuery()) -> list[Finding]:
    """Findings matching ``query``, highest risk first; an unknown site is a user error."""
    store = workspace.store
    if query.site_id is not None:
        known = [s.id for s in store.sites()]
        if query.site_id not in known:
            raise UserInputError(
                f"unknown site {query.site_id!r}",
                hint=f"sites: {', '.join(known) or 'none imported'}",
            )
    found = store.findings(
        FindingFilter(
            query.site_id, query.min_severity, query.check_id, query.status, query.asset_id
        )
    )
    return found[: query.limit] if query.limit else found


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
