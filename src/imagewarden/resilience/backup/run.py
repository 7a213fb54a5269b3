"""The backup commands' work, apart from the CLI: verify/restore-test plus recording results."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from imagewarden.model import FactValue, SubjectKind
from imagewarden.resilience.backup.compare import load_digests
from imagewarden.resilience.backup.counts import (
    CountCheck,
    check_export,
    check_orthanc,
    orthanc_statistics,
    read_export,
)
from imagewarden.resilience.backup.restore import RestoreTest
from imagewarden.resilience.backup.verify import Progress, VerifyResult, verify
from imagewarden.resilience.records import record_facts, require_asset, save_backup_check
from imagewarden.store import Store


def run_verify(
    root: Path,
    *,
    jobs: int | None,
    manifest_out: Path | None,
    against: Path | None,
    resume: bool,
    export_csv: Path | None,
    orthanc_url: str | None,
    progress: Progress | None = None,
) -> tuple[VerifyResult, CountCheck | None]:
    # read every input before the long scan, so a bad file fails in a second, not an hour
    old = load_digests(against) if against is not None else None
    expected: Counter[str] | None = read_export(export_csv) if export_csv is not None else None
    stats = orthanc_statistics(orthanc_url) if orthanc_url else None
    result = verify(
        root,
        jobs=jobs,
        manifest_out=manifest_out,
        against=old,
        resume=resume,
        progress=progress,
    )
    counts: CountCheck | None = None
    if expected is not None and export_csv is not None:
        counts = check_export(expected, result.study_instances, str(export_csv))
    elif stats is not None and orthanc_url:
        counts = check_orthanc(stats, result.study_instances, orthanc_url)
    return result, counts


def record_verify(
    store: Store,
    asset_id: str,
    result: VerifyResult,
    counts: CountCheck | None,
    manifest: Path | None,
    started_at: dt.datetime,
) -> None:
    require_asset(store, asset_id)
    summary = result.summary()
    if counts is not None:
        summary["counts"] = counts.as_dict()
    save_backup_check(
        store,
        kind="verify",
        root=result.root,
        asset_id=asset_id,
        started_at=started_at,
        files=result.files,
        size=result.bytes,
        problem_files=result.problem_files,
        manifest=str(manifest or ""),
        summary=summary,
    )
    facts: dict[str, FactValue] = {"backup.integrity_problems": result.integrity_files}
    if result.comparison is not None:
        facts["backup.files_missing_or_changed"] = (
            result.comparison.missing + result.comparison.changed
        )
    if counts is not None:
        facts["backup.count_mismatch"] = not counts.matches
    record_facts(store, SubjectKind.ASSET, asset_id, facts, started_at)


def record_restore_test(
    store: Store, asset_id: str, test: RestoreTest, started_at: dt.datetime
) -> None:
    require_asset(store, asset_id)
    save_backup_check(
        store,
        kind="restore_test",
        root=test.root,
        asset_id=asset_id,
        started_at=started_at,
        files=test.sample_files,
        size=test.sample_bytes,
        problem_files=len(test.failed),
        manifest="",
        summary=test.summary(),
    )
    facts: dict[str, FactValue] = {
        "backup.last_tested": started_at.date(),
        "backup.restore_hours_estimate": round(test.estimated_hours, 3),
        "backup.restore_within_rto": test.within_rto,
    }
    record_facts(store, SubjectKind.ASSET, asset_id, facts, started_at)
