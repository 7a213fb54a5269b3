"""Restore test: copy a random sample to a scratch area, verify it, time it, extrapolate.

The sample is drawn by reservoir sampling while the archive is listed, so memory holds the
sample only. The copy is hashed as it is written and read back for the header check, so the
test proves that bytes which left the backup arrive intact and still parse. Links leaving the
archive's tree are never sampled (unless ``follow_links``); a full scratch area stops the test
(``InfrastructureError``) rather than failing every file.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import random
import shutil
import tempfile
import time
from pathlib import Path

from imagewarden.model import InfrastructureError, Location, UserInputError
from imagewarden.render.atomic import open_private
from imagewarden.resilience.backup.results import (
    MAX_PROBLEMS_KEPT,
    FileProblem,
    RestoreTestResult,
)
from imagewarden.resilience.backup.scan import FileRefused, open_for_reading, scan_file
from imagewarden.resilience.backup.walk import walk

_CHUNK = 1 << 20


def _sample(
    root: Path, size: int, rng: random.Random, follow_links: bool, skipped: list[FileProblem]
) -> tuple[list[tuple[str, int]], int, int]:
    chosen: list[tuple[str, int]] = []
    files = total = 0
    for entry in walk(root, follow_links=follow_links):
        if entry.problem:
            if len(skipped) < MAX_PROBLEMS_KEPT:
                skipped.append(FileProblem(entry.rel, (entry.problem,)))
            continue
        try:
            length = (root / entry.rel).stat().st_size
        except OSError:
            continue
        files += 1
        total += length
        if len(chosen) < size:
            chosen.append((entry.rel, length))
        else:
            slot = rng.randrange(files)
            if slot < size:
                chosen[slot] = (entry.rel, length)
    return sorted(chosen), files, total


def _copy(root: Path, rel: str, target: Path, follow_links: bool) -> str:
    """Copy and return the SHA-256 of the bytes read from the backup."""
    digest = hashlib.sha256()
    # the same open as the verification: no blocking on a FIFO, no read outside the tree
    with open_for_reading(str(root), rel, follow_links=follow_links) as src:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open_private(target, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise InfrastructureError(
                    f"the scratch area {target.parent} is full; free space or choose "
                    "another with --scratch"
                ) from None
            raise
    return digest.hexdigest()


def restore_test(
    root: Path,
    *,
    sample: int,
    rto_hours: float,
    scratch: Path | None = None,
    seed: int = 0,
    started_at: dt.datetime | None = None,
    asset_id: str = "",
    follow_links: bool = False,
) -> RestoreTestResult:
    """Restore ``sample`` files of ``root`` (see the module docstring); the result carries
    no facts yet (``collect_restore_test`` adds them)."""
    if not root.is_dir():
        raise UserInputError("not a folder (or not readable)", Location(str(root)))
    if sample < 1:
        raise UserInputError("--sample must be at least 1")
    if rto_hours <= 0:
        raise UserInputError("--rto must be a positive number of hours")
    skipped: list[FileProblem] = []
    chosen, files, total = _sample(root, sample, random.Random(seed), follow_links, skipped)
    area = Path(tempfile.mkdtemp(prefix="imagewarden-restore-", dir=scratch))
    failed: list[FileProblem] = []
    try:
        started = time.perf_counter()
        for rel, _size in chosen:
            try:
                expected = _copy(root, rel, area / rel, follow_links)
            except FileRefused as refused:
                failed.append(FileProblem(rel, (refused.code,)))
                continue
            except OSError as exc:
                failed.append(FileProblem(rel, (f"copy_failed:{exc.strerror or 'error'}",)))
                continue
            record = scan_file(str(area), rel)
            problems = list(record.get("problems", ()))
            if record["sha256"] != expected:
                problems.append("copy_differs")
            if problems:
                failed.append(FileProblem(rel, tuple(problems)))
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(area, ignore_errors=True)
    return RestoreTestResult(
        root=str(root),
        started_at=started_at or dt.datetime.now(dt.UTC),
        archive_files=files,
        archive_bytes=total,
        sample_files=len(chosen),
        sample_bytes=sum(size for _rel, size in chosen),
        seconds=seconds,
        rto_hours=rto_hours,
        failed=tuple(failed),
        not_sampled=tuple(skipped),
        asset_id=asset_id,
    )
