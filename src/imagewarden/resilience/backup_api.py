"""The backup checks of the respond-and-recover application API (``resilience.api``
re-exports them for the web workspace and site workers).

Kept apart from the rest of the API so that ``backup verify`` imports only the scan: not the
catalog's resilience schemas, drills and recovery planning, nor the store, whose modules are
imported here only when a result is recorded for an asset. Its start-up is part of the figure
the backup benchmark compares with ``openssl dgst``.

Backup checks come in two steps so a site worker can run the first without a database:
``collect_verification`` / ``collect_restore_test`` scan the archive and return a
serialisable result; ``apply_verification`` / ``apply_restore_test`` store it with its facts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.model import UserInputError
from imagewarden.resilience.backup.collect import (
    ProblemSink,
    collect_restore_test,
    collect_verification,
)
from imagewarden.resilience.backup.compare import Comparison, compare_files
from imagewarden.resilience.backup.results import (
    BackupVerification,
    FileProblem,
    RestoreRequest,
    RestoreTestResult,
    VerifyRequest,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from imagewarden.app import Workspace
    from imagewarden.model import FactValue
    from imagewarden.resilience.backup.verify import Progress
    from imagewarden.resilience.records import BackupCheck, NewBackupCheck
    from imagewarden.resilience.store.repository import ResilienceRepository

__all__ = [
    "BackupVerification",
    "FileProblem",
    "ProblemSink",
    "RestoreRequest",
    "RestoreTestResult",
    "VerifyRequest",
    "apply_restore_test",
    "apply_verification",
    "backup_checks",
    "collect_restore_test",
    "collect_verification",
    "compare_manifests",
    "records_of",
    "restore_test_backup",
    "verify_backup",
]


def records_of(workspace: Workspace) -> ResilienceRepository:
    """The resilience records in the workspace's store (the store's modules load here)."""
    from imagewarden.resilience.store.repository import ResilienceRepository

    return ResilienceRepository(workspace.store)


def _save(
    workspace: Workspace, check: NewBackupCheck, facts: Mapping[str, FactValue]
) -> BackupCheck:
    """Store ``check`` and the facts it means for its asset (one audited change)."""
    from imagewarden.model import SubjectKind
    from imagewarden.resilience.records import fact_batch

    batch = fact_batch(SubjectKind.ASSET, check.asset_id, facts, check.started_at)
    return records_of(workspace).save_backup_check(workspace.actor, check, batch)


def _require_asset(asset_id: str) -> None:
    if not asset_id:
        raise UserInputError("a backup result without an asset cannot be recorded", hint="--asset")


def apply_verification(workspace: Workspace, result: BackupVerification) -> BackupCheck:
    """Store a verification and its facts for its asset (one audited change)."""
    from imagewarden.resilience.records import BackupCheckKind, NewBackupCheck

    _require_asset(result.asset_id)
    workspace.store.asset(result.asset_id)
    check = NewBackupCheck(
        kind=BackupCheckKind.VERIFY,
        root=result.root,
        asset_id=result.asset_id,
        started_at=result.started_at,
        files=result.files,
        bytes=result.bytes,
        problem_files=result.problem_files,
        manifest=result.manifest,
        summary=result.summary(),
    )
    return _save(workspace, check, result.facts)


def verify_backup(
    workspace: Workspace | None,
    request: VerifyRequest,
    *,
    progress: Progress | None = None,
    on_problem: ProblemSink | None = None,
) -> tuple[BackupVerification, BackupCheck | None]:
    """Collect, then apply when the request names an asset (``backup verify --asset``).

    The asset is checked before the scan, so an unknown one fails in a second.
    """
    if request.asset_id:
        if workspace is None:
            raise UserInputError("recording a result needs a database", hint="--db")
        workspace.store.asset(request.asset_id)
    result = collect_verification(request, progress=progress, on_problem=on_problem)
    stored = apply_verification(workspace, result) if workspace and request.asset_id else None
    return result, stored


def compare_manifests(old: Path, new: Path) -> Comparison:
    """``backup compare``: missing, changed and added files between two manifests."""
    return compare_files(old, new)


def apply_restore_test(workspace: Workspace, result: RestoreTestResult) -> BackupCheck:
    """Store a restore test and its facts for its asset (one audited change)."""
    from imagewarden.resilience.records import BackupCheckKind, NewBackupCheck

    _require_asset(result.asset_id)
    workspace.store.asset(result.asset_id)
    check = NewBackupCheck(
        kind=BackupCheckKind.RESTORE_TEST,
        root=result.root,
        asset_id=result.asset_id,
        started_at=result.started_at,
        files=result.sample_files,
        bytes=result.sample_bytes,
        problem_files=len(result.failed),
        manifest="",
        summary=result.summary(),
    )
    return _save(workspace, check, result.facts)


def restore_test_backup(
    workspace: Workspace | None, request: RestoreRequest
) -> tuple[RestoreTestResult, BackupCheck | None]:
    """Collect, then apply when the request names an asset (``backup restore-test``)."""
    if request.asset_id:
        if workspace is None:
            raise UserInputError("recording a result needs a database", hint="--db")
        workspace.store.asset(request.asset_id)
    result = collect_restore_test(request)
    stored = apply_restore_test(workspace, result) if workspace and request.asset_id else None
    return result, stored


def backup_checks(
    workspace: Workspace, *, limit: int = 50, asset_id: str | None = None
) -> list[BackupCheck]:
    """Stored backup checks, newest first."""
    return records_of(workspace).backup_checks(limit, asset_id)
