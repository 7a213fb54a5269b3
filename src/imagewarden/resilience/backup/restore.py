"""Restore test: copy a random sample to a scratch area, verify it, time it, extrapolate.

The sample is drawn by reservoir sampling while the archive is listed, so memory holds the
sample only. The copy is hashed as it is written and read back for the header check, so the
test proves that bytes which left the backup arrive intact and still parse.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from imagewarden.model import Location, UserInputError
from imagewarden.resilience.backup.scan import scan_file
from imagewarden.resilience.backup.walk import walk

_CHUNK = 1 << 20


@dataclass
class RestoreTest:
    root: str
    archive_files: int
    archive_bytes: int
    sample_files: int
    sample_bytes: int
    seconds: float
    rto_hours: float
    failed: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def bytes_per_second(self) -> float:
        return self.sample_bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def estimated_hours(self) -> float:
        """Hours to restore the whole archive at the sample's speed (files and bytes)."""
        if not self.sample_files or self.seconds <= 0:
            return 0.0
        per_file = self.seconds / self.sample_files
        by_files = per_file * self.archive_files
        by_bytes = self.archive_bytes / self.bytes_per_second if self.sample_bytes else 0.0
        # small files are bound by per-file cost, big ones by throughput: take the worse
        return max(by_files, by_bytes) / 3600

    @property
    def within_rto(self) -> bool:
        return self.estimated_hours <= self.rto_hours and not self.failed

    def summary(self) -> dict[str, object]:
        return {
            "root": self.root,
            "archive_files": self.archive_files,
            "archive_bytes": self.archive_bytes,
            "sample_files": self.sample_files,
            "sample_bytes": self.sample_bytes,
            "seconds": round(self.seconds, 3),
            "mb_per_second": round(self.bytes_per_second / 1e6, 1),
            "estimated_hours": round(self.estimated_hours, 3),
            "rto_hours": self.rto_hours,
            "within_rto": self.within_rto,
            "failed": len(self.failed),
        }


def _sample(root: Path, size: int, rng: random.Random) -> tuple[list[tuple[str, int]], int, int]:
    chosen: list[tuple[str, int]] = []
    files = total = 0
    for entry in walk(root):
        if entry.problem:
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


def _copy(source: Path, target: Path) -> str:
    """Copy and return the SHA-256 of the bytes read from the backup."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def restore_test(
    root: Path, *, sample: int, rto_hours: float, scratch: Path | None = None, seed: int = 0
) -> RestoreTest:
    if not root.is_dir():
        raise UserInputError("not a folder (or not readable)", Location(str(root)))
    if sample < 1:
        raise UserInputError("--sample must be at least 1")
    if rto_hours <= 0:
        raise UserInputError("--rto must be a positive number of hours")
    chosen, files, total = _sample(root, sample, random.Random(seed))
    area = Path(tempfile.mkdtemp(prefix="imagewarden-restore-", dir=scratch))
    failed: list[tuple[str, list[str]]] = []
    try:
        started = time.perf_counter()
        for rel, _size in chosen:
            try:
                expected = _copy(root / rel, area / rel)
            except OSError as exc:
                failed.append((rel, [f"copy_failed:{exc.strerror or exc}"]))
                continue
            record = scan_file(str(area), rel)
            problems = list(record.get("problems", ()))
            if record["sha256"] != expected:
                problems.append("copy_differs")
            if problems:
                failed.append((rel, problems))
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(area, ignore_errors=True)
    return RestoreTest(
        root=str(root),
        archive_files=files,
        archive_bytes=total,
        sample_files=len(chosen),
        sample_bytes=sum(size for _rel, size in chosen),
        seconds=seconds,
        rto_hours=rto_hours,
        failed=failed,
    )
