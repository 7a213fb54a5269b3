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


def audit_entries(workspace: Workspace, query: AuditQuery = AuditQuery()) -> list[AuditEntry]:
    """Audit entries, newest first."""
    return workspace.store.audit_entries(action=query.action, actor=query.actor, limit=query.limit)


def verify_audit(workspace: Workspace) -> ChainCheck:
    """Recompute the hash chain; ``first_bad`` names the first tampered row."""
    return workspace.store.verify_audit()
