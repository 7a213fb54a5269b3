"""The audit trail, as people read and check it."""

from __future__ import annotations

from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.store import AuditEntry, ChainCheck


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries to show; every field narrows the list."""

    action: str | None = None
    actor: str | None = None
    limit: int = 100
    target: str | None = None
    """Part of the changed object's name, e.g. a finding id or ``user alice``."""
    before: int | None = None
    """Only entries older than this one (the next page)."""


def audit_entries(workspace: Workspace, query: AuditQuery = AuditQuery()) -> list[AuditEntry]:
    """Audit entries, newest first."""
    return workspace.store.audit_entries(
        action=query.action,
        actor=query.actor,
        limit=query.limit,
        target=query.target,
        before=query.before,
    )


def audit_actions(workspace: Workspace) -> list[str]:
    """Every action recorded so far (for a filter's choices)."""
    return workspace.store.audit_actions()


def verify_audit(workspace: Workspace) -> ChainCheck:
    """Recompute the hash chain; ``first_bad`` names the first tampered row."""
    return workspace.store.verify_audit()
