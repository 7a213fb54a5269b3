"""Collecting a backup check: no database, so a site worker can run it where the archive is.

``collect_verification`` and ``collect_restore_test`` read every input first (an earlier
manifest, the archive's counts), so a bad file fails in a second rather than after an hour
of hashing, then scan and return a frozen, serialisable result with the facts it means for
the asset. Storing it is a separate step (``resilience.api.apply_verification``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from imagewarden.model import FactValue
from imagewarden.resilience.backup.compare import load_digests
from imagewarden.resilience.backup.counts import (
    CountCheck,
    check_export,
    check_orthanc,
    orthanc_statistics,
    read_export,
)
from imagewarden.resilience.backup.results import (
    MAX_PROBLEMS_KEPT,
    BackupVerification,
    FileProblem,
    RestoreRequest,
    RestoreTestResult,
    VerifyRequest,
)
from imagewarden.resilience.backup.verify import Progress, VerifyResult, verify

logger = logging.getLogger(__name__)

ProblemSink = Callable[[FileProblem], None]
"""Called with every problem file as the scan finds it, in listing order."""


def verification_facts(result: VerifyResult, counts: CountCheck | None) -> dict[str, FactValue]:
    """The asset facts a verification means."""
    facts: dict[str, FactValue] = {
        "backup.integrity_problems": result.integrity_files,
        "backup.empty_archive": result.files == 0,
    }
    if result.comparison is not None:
        facts["backup.files_missing_or_changed"] = (
            result.comparison.missing + result.comparison.changed
        )
    if counts is not None:
        facts["backup.count_mismatch"] = not counts.matches
    return facts


def collect_verification(
    request: VerifyRequest,
    *,
    progress: Progress | None = None,
    on_problem: ProblemSink | None = None,
) -> BackupVerification:
    """Hash every file and check every DICOM header under ``request.root``."""
    started = dt.datetime.now(dt.UTC)
    old = load_digests(request.against) if request.against is not None else None
    expected: Counter[str] | None = None
    if request.export_csv is not None:
        expected = read_export(request.export_csv)
    stats = orthanc_statistics(request.orthanc_url) if request.orthanc_url else None
    result = verify(
        request.root,
        jobs=request.jobs,
        manifest_out=request.manifest_out,
        against=old,
        resume=request.resume,
        progress=progress,
        on_problem=on_problem,
        follow_links=request.follow_links,
    )
    counts: CountCheck | None = None
    if expected is not None and request.export_csv is not None:
        counts = check_export(expected, result.study_instances, str(request.export_csv))
    elif stats is not None and request.orthanc_url:
        counts = check_orthanc(stats, result.study_instances, request.orthanc_url)
    logger.info(
        "verified %d files (%d with problems) in %.1f s with %s",
        result.files, result.problem_files, result.seconds, request.jobs or "all",
    )  # fmt: skip
    return BackupVerification(
        root=result.root,
        layout=result.layout,
        started_at=started,
        seconds=result.seconds,
        files=result.files,
        bytes=result.bytes,
        ok=result.ok,
        problem_files=result.problem_files,
        integrity_files=result.integrity_files,
        resumed=result.resumed,
        studies=result.studies,
        series=result.series,
        duplicate_sop_instances=result.duplicate_sop_instances,
        problem_counts=dict(sorted(result.problem_counts.items())),
        problems=tuple(FileProblem(p, tuple(codes)) for p, codes in result.problems)[
            :MAX_PROBLEMS_KEPT
        ],
        manifest=str(request.manifest_out or ""),
        comparison=result.comparison,
        counts=counts,
        asset_id=request.asset_id,
        facts=verification_facts(result, counts),
    )


def restore_facts(test: RestoreTestResult) -> dict[str, FactValue]:
    """The asset facts a restore test means."""
    return {
        "backup.last_tested": test.started_at.date(),
        "backup.restore_hours_estimate": round(test.estimated_hours, 3),
        "backup.restore_within_rto": test.within_rto,
        "backup.restore_failed_files": len(test.failed),
        "backup.empty_archive": test.archive_files == 0,
    }


def collect_restore_test(request: RestoreRequest) -> RestoreTestResult:
    """Restore a random sample to a scratch area, verify and time it, extrapolate."""
    # imported here: a verification needs none of the restore's modules and starts faster
    from imagewarden.resilience.backup.restore import restore_test

    started = dt.datetime.now(dt.UTC)
    test = restore_test(
        request.root,
        sample=request.sample,
        rto_hours=request.rto_hours,
        scratch=request.scratch,
        seed=request.seed,
        started_at=started,
        asset_id=request.asset_id,
        follow_links=request.follow_links,
    )
    logger.info(
        "restore test: %d of %d files in %.2f s, %d failed",
        test.sample_files, test.archive_files, test.seconds, len(test.failed),
    )  # fmt: skip
    return replace(test, facts=restore_facts(test))
