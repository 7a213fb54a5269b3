"""``backup verify``: check every file of an archive copy in parallel, with constant memory.

The calling thread lists the files and writes the manifest; checking processes
(``processes``, one per job) hash the files and check their headers, or, with one job, the
calling thread does. Records come in listing order, so the manifest is deterministic and a
resumed run appends exactly where the last one stopped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from imagewarden.model import InfrastructureError, Location, UserInputError
from imagewarden.render.atomic import open_private
from imagewarden.resilience.backup.classify import is_integrity_problem
from imagewarden.resilience.backup.compare import Comparer, Comparison
from imagewarden.resilience.backup.manifest import (
    Record,
    partial_path,
    read_records,
    write_header,
    write_record,
)
from imagewarden.resilience.backup.processes import CheckingProcesses
from imagewarden.resilience.backup.results import MAX_PROBLEMS_KEPT, FileProblem
from imagewarden.resilience.backup.scan import scan_in_order
from imagewarden.resilience.backup.walk import is_orthanc_storage, walk

PROGRESS_EVERY = 64
"""Files between two progress reports."""

_PARTIAL = partial_path(Path("m")).name.removeprefix("m")
EMPTY_ARCHIVE = "empty_archive"
"""The problem of a tree with no file at all (reported on the root, path ".")."""

Progress = Callable[[int, int], None]
"""Called with (files done, bytes done) after each batch."""


@dataclass
class VerifyResult:
    """The running tally of one verification (``collect_verification`` freezes it)."""

    root: str
    layout: str
    files: int = 0
    bytes: int = 0
    ok: int = 0
    problem_files: int = 0
    integrity_files: int = 0
    """Files with a problem that stops them restoring as usable images (see classify)."""
    resumed: int = 0
    problem_counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, list[str]]] = field(default_factory=list)
    """(path, problem codes), at most MAX_PROBLEMS_KEPT of them."""
    study_instances: Counter[str] = field(default_factory=Counter)
    series: int = 0
    duplicate_sop_instances: int = 0
    comparison: Comparison | None = None
    seconds: float = 0.0

    @property
    def studies(self) -> int:
        """Distinct Study Instance UIDs seen."""
        return len(self.study_instances)

    def summary(self) -> dict[str, object]:
        """Counts, JSON-ready."""
        return {
            "root": self.root,
            "layout": self.layout,
            "files": self.files,
            "bytes": self.bytes,
            "ok": self.ok,
            "problem_files": self.problem_files,
            "integrity_files": self.integrity_files,
            "problems": dict(sorted(self.problem_counts.items())),
            "studies": self.studies,
            "series": self.series,
            "duplicate_sop_instances": self.duplicate_sop_instances,
            "resumed": self.resumed,
            "seconds": round(self.seconds, 3),
            "comparison": self.comparison.as_dict() if self.comparison else None,
        }


class _Tally:
    """Folds records into a VerifyResult; memory grows with studies and series, not files."""

    def __init__(
        self,
        result: VerifyResult,
        comparer: Comparer | None,
        on_problem: Callable[[FileProblem], None] | None = None,
    ) -> None:
        self.result = result
        self.comparer = comparer
        self.on_problem = on_problem
        self._series: set[bytes] = set()
        # 8-byte digests of SOP Instance UIDs: duplicates are found with ~60 bytes per file
        self._instances: set[bytes] = set()

    def add(self, record: Record) -> None:
        result = self.result
        result.files += 1
        result.bytes += max(0, record["size"])
        sop = record.get("sop_instance")
        problems: list[str] = list(record.get("problems", ()))
        if sop:
            key = hashlib.blake2b(sop.encode(), digest_size=8).digest()
            if key in self._instances:
                problems.append("duplicate_sop_instance")
                result.duplicate_sop_instances += 1
                record["status"] = "problem"
                record["problems"] = problems
            else:
                self._instances.add(key)
            if record.get("study"):
                result.study_instances[record["study"]] += 1
            if record.get("series"):
                self._series.add(hashlib.blake2b(record["series"].encode(), digest_size=8).digest())
        if problems:
            result.problem_files += 1
            result.problem_counts.update(problems)
            if any(is_integrity_problem(p) for p in problems):
                result.integrity_files += 1
            if len(result.problems) < MAX_PROBLEMS_KEPT:
                result.problems.append((record["path"], problems))
            if self.on_problem is not None:
                self.on_problem(FileProblem(record["path"], tuple(problems)))
        else:
            result.ok += 1
        if self.comparer is not None:
            # every record, hashed or not: the comparison decides what a hashless one means
            self.comparer.add(record)

    def finish(self) -> None:
        if self.result.files == 0:
            # nothing to restore is a failed backup check, not "0 files, 0 ok"
            self.result.problem_counts[EMPTY_ARCHIVE] += 1
            self.result.problems.append((".", [EMPTY_ARCHIVE]))
            if self.on_problem is not None:
                self.on_problem(FileProblem(".", (EMPTY_ARCHIVE,)))
        self.result.series = len(self._series)
        if self.comparer is not None:
            self.result.comparison = self.comparer.finish()


def _load_resume(path: Path) -> dict[str, Record]:
    if not path.exists():
        return {}
    return {r["path"]: r for r in read_records(path, tolerate_torn_tail=True)}


def verify(
    root: Path,
    *,
    jobs: int | None = None,
    manifest_out: Path | None = None,
    against: dict[str, str] | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    on_problem: Callable[[FileProblem], None] | None = None,
    follow_links: bool = False,
) -> VerifyResult:
    """Verify every file under ``root``; see the module docstring for how.

    ``on_problem`` sees every problem file as it is found (the result keeps the first
    ``MAX_PROBLEMS_KEPT``), so a caller can stream them all in bounded memory. Links that
    leave the tree are reported, not read, unless ``follow_links``. A manifest that cannot
    be written (a full disk) is an ``InfrastructureError`` and leaves no file behind.
    """
    if not root.is_dir():
        raise UserInputError("not a folder (or not readable)", Location(str(root)))
    if resume and manifest_out is None:
        raise UserInputError("--resume needs --manifest-out (the manifest to continue)")
    started = dt.datetime.now(dt.UTC)
    layout = "orthanc" if is_orthanc_storage(root) else "folder"
    result = VerifyResult(root=str(root), layout=layout)
    tally = _Tally(result, Comparer(against) if against is not None else None, on_problem)
    partial = partial_path(manifest_out) if manifest_out is not None else None
    done = _load_resume(partial) if (resume and partial is not None) else {}
    stream: TextIO | None = None
    workers = max(1, jobs or os.cpu_count() or 1)
    try:
        if partial is not None:
            stream = _open_manifest(partial, root, started, done)
        _run(root, workers, done, tally, stream, partial, progress, follow_links)
        if stream is not None and partial is not None:
            _close_manifest(stream, partial)
        tally.finish()
        result.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        if partial is not None and manifest_out is not None:
            try:
                partial.replace(manifest_out)
            except OSError as exc:
                raise _manifest_error(exc, manifest_out) from None
    except InfrastructureError:
        # nothing half-written: a fresh run's partial manifest goes; a resumed one is the
        # user's earlier progress and stays as it was found
        if partial is not None and not done:
            _close_quietly(stream)
            partial.unlink(missing_ok=True)
        raise
    finally:
        _close_quietly(stream)
    return result


def _open_manifest(
    partial: Path, root: Path, started: dt.datetime, done: dict[str, Record]
) -> TextIO:
    try:
        partial.parent.mkdir(parents=True, exist_ok=True)
        if done:
            _rewrite_complete(partial, root, started, done)
            return open_private(partial, "a")
        stream = open_private(partial, "w")
        write_header(stream, root.resolve(), started.isoformat(timespec="seconds"))
        return stream
    except OSError as exc:
        raise _manifest_error(exc, partial) from None


def _close_manifest(stream: TextIO, partial: Path) -> None:
    try:
        stream.close()  # the last buffered lines reach the disk here
    except OSError as exc:
        raise _manifest_error(exc, partial) from None


def _close_quietly(stream: TextIO | None) -> None:
    if stream is None or stream.closed:
        return
    with contextlib.suppress(OSError):  # already failing: the first error is the one reported
        stream.close()


def _manifest_error(exc: OSError, path: Path) -> InfrastructureError:
    # name the manifest the user asked for, not the ".partial" file it is written as
    if path.name.endswith(_PARTIAL):
        path = path.with_name(path.name.removesuffix(_PARTIAL))
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left on the device (or the quota is used up)"
    else:
        what = exc.strerror or type(exc).__name__
    return InfrastructureError(f"cannot write the manifest {path}: {what}; nothing was kept")


def _write(stream: TextIO, record: Record, path: Path) -> None:
    try:
        write_record(stream, record)
    except OSError as exc:
        raise _manifest_error(exc, path) from None


def _rewrite_complete(
    partial: Path, root: Path, started: dt.datetime, done: dict[str, Record]
) -> None:
    """Drop a torn last line before appending, so the resumed manifest stays valid."""
    tmp = partial.with_name(partial.name + ".tmp")
    try:
        with open_private(tmp, "w") as stream:
            write_header(stream, root.resolve(), started.isoformat(timespec="seconds"))
            for record in done.values():
                write_record(stream, record)
        tmp.replace(partial)
    except OSError:
        tmp.unlink(missing_ok=True)  # the partial manifest itself is untouched
        raise


def _unchanged(root: Path, record: Record) -> bool:
    try:
        st = (root / record["path"]).stat()
    except OSError:
        return False
    return bool(st.st_size == record["size"] and st.st_mtime_ns == record.get("mtime_ns"))


def _run(
    root: Path,
    workers: int,
    done: dict[str, Record],
    tally: _Tally,
    stream: TextIO | None,
    partial: Path | None,
    progress: Progress | None,
    follow_links: bool,
) -> None:
    # The listing is interleaved with results: entries that need no worker (listing
    # problems, files kept from the resumed manifest) are emitted in order between batches.
    # The listing runs lazily in this thread: a bounded number of files ahead (pool).
    ordered: deque[Record | None] = deque()  # None: "the next result comes from the pool"

    def pending() -> Iterator[str]:
        for entry in walk(root, follow_links=follow_links):
            if entry.problem:
                ordered.append(
                    {"path": entry.rel, "size": -1, "mtime_ns": 0, "sha256": "",
                     "status": "problem", "problems": [entry.problem]}
                )  # fmt: skip
                continue
            kept = done.get(entry.rel)
            if kept is not None and _unchanged(root, kept):
                kept = dict(kept)
                kept["_resumed"] = True
                ordered.append(kept)
                continue
            ordered.append(None)
            yield entry.rel

    def emit(record: Record) -> None:
        resumed = record.pop("_resumed", False)
        if resumed:
            tally.result.resumed += 1
        # tally first: it marks a duplicate SOP Instance UID, which the manifest must show
        tally.add(record)
        if stream is not None and partial is not None and not resumed:
            _write(stream, record, partial)

    def drain_until_pool() -> None:
        while ordered and ordered[0] is not None:
            record = ordered.popleft()
            if record is not None:
                emit(record)

    if workers == 1:
        with contextlib.closing(scan_in_order(str(root), pending(), follow_links)) as records:
            _consume(records, ordered, emit, drain_until_pool, tally, progress)
        return
    with (
        CheckingProcesses(str(root), follow_links, workers) as checkers,
        contextlib.closing(checkers.scan_in_order(pending())) as records,
    ):
        _consume(records, ordered, emit, drain_until_pool, tally, progress)


def _consume(
    records: Iterator[Record],
    ordered: deque[Record | None],
    emit: Callable[[Record], None],
    drain_until_pool: Callable[[], None],
    tally: _Tally,
    progress: Progress | None,
) -> None:
    for count, record in enumerate(records, 1):
        drain_until_pool()
        if ordered:
            ordered.popleft()  # the placeholder this record fills
        emit(record)
        if progress is not None and count % PROGRESS_EVERY == 0:
            drain_until_pool()
            progress(tally.result.files, tally.result.bytes)
    drain_until_pool()
    if progress is not None:
        progress(tally.result.files, tally.result.bytes)
