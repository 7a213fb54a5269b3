"""``backup verify``: check every file of an archive copy in parallel, with constant memory.

The parent process lists files and writes the manifest; a pool of worker processes hashes
files and reads headers in batches. Results come back in listing order (``imap``), so the
manifest is deterministic and a resumed run appends exactly where the last one stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import signal
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from imagewarden.model import Location, UserInputError
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
from imagewarden.resilience.backup.results import MAX_PROBLEMS_KEPT, FileProblem
from imagewarden.resilience.backup.scan import scan_batch
from imagewarden.resilience.backup.walk import is_orthanc_storage, walk

BATCH = 64
"""Files per worker task: big enough to amortise IPC, small enough to keep cores busy."""

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
        if self.comparer is not None and record["sha256"]:
            self.comparer.add(record)

    def finish(self) -> None:
        self.result.series = len(self._series)
        if self.comparer is not None:
            self.result.comparison = self.comparer.finish()


def _load_resume(path: Path) -> dict[str, Record]:
    if not path.exists():
        return {}
    return {r["path"]: r for r in read_records(path, tolerate_torn_tail=True)}


def _tasks(
    root: Path, pending: Iterator[str], window: threading.Semaphore, stop: threading.Event
) -> Iterator[tuple[str, list[str]]]:
    """Batches of files; ``window`` bounds the batches in flight, so memory stays flat
    (Pool.imap would otherwise queue the whole listing at once). ``stop`` ends the listing
    when the run is interrupted, so the pool's task thread never waits forever."""
    batch: list[str] = []
    for rel in pending:
        batch.append(rel)
        if len(batch) == BATCH:
            if not _wait(window, stop):
                return
            yield str(root), batch
            batch = []
    if batch and _wait(window, stop):
        yield str(root), batch


def _wait(window: threading.Semaphore, stop: threading.Event) -> bool:
    while not window.acquire(timeout=0.2):
        if stop.is_set():
            return False
    return not stop.is_set()


def verify(
    root: Path,
    *,
    jobs: int | None = None,
    manifest_out: Path | None = None,
    against: dict[str, str] | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    on_problem: Callable[[FileProblem], None] | None = None,
) -> VerifyResult:
    """Verify every file under ``root``; see the module docstring for how.

    ``on_problem`` sees every problem file as it is found (the result keeps the first
    ``MAX_PROBLEMS_KEPT``), so a caller can stream them all in bounded memory.
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
    if partial is not None:
        partial.parent.mkdir(parents=True, exist_ok=True)
        if done:
            _rewrite_complete(partial, root, started, done)
            stream = open_private(partial, "a")
        else:
            stream = open_private(partial, "w")
            write_header(stream, root.resolve(), started.isoformat(timespec="seconds"))
    workers = max(1, jobs or os.cpu_count() or 1)
    try:
        _run(root, workers, done, tally, stream, progress)
    finally:
        if stream is not None:
            stream.close()
    tally.finish()
    result.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    if partial is not None and manifest_out is not None:
        partial.replace(manifest_out)
    return result


def _rewrite_complete(
    partial: Path, root: Path, started: dt.datetime, done: dict[str, Record]
) -> None:
    """Drop a torn last line before appending, so the resumed manifest stays valid."""
    tmp = partial.with_name(partial.name + ".tmp")
    with open_private(tmp, "w") as stream:
        write_header(stream, root.resolve(), started.isoformat(timespec="seconds"))
        for record in done.values():
            write_record(stream, record)
    tmp.replace(partial)


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
    progress: Progress | None,
) -> None:
    # The listing is interleaved with results: entries that need no worker (listing
    # problems, files kept from the resumed manifest) are emitted in order between batches.
    # deque: appended by the pool's task thread, popped by this one (both thread-safe)
    ordered: deque[Record | None] = deque()  # None: "the next result comes from the pool"

    def pending() -> Iterator[str]:
        for entry in walk(root):
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
        elif stream is not None:
            write_record(stream, record)
        tally.add(record)

    def drain_until_pool() -> None:
        while ordered and ordered[0] is not None:
            record = ordered.popleft()
            if record is not None:
                emit(record)

    window = threading.Semaphore(workers * 4)
    stop = threading.Event()
    tasks = _tasks(root, pending(), window, stop)
    try:
        if workers == 1:
            results: Iterator[list[Record]] = map(scan_batch, tasks)
            _consume(results, ordered, emit, drain_until_pool, window, tally, progress)
            return
        context = multiprocessing.get_context("fork")
        pool = context.Pool(workers, initializer=_default_signals)
        try:
            results = pool.imap(scan_batch, tasks)
            _consume(results, ordered, emit, drain_until_pool, window, tally, progress)
            # Let the processes finish on their own: terminate() signals them, and a process
            # that inherited a host's signal handlers (a Celery pool process) may not die.
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
    finally:
        stop.set()


def _default_signals() -> None:
    """Give a hashing process the default signal handlers, whatever its parent set (a site
    worker runs inside a Celery pool process, whose handlers would outlive the fork)."""
    for name in ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)
    # Ctrl-C reaches the whole process group: the parent handles it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _consume(
    results: Iterator[list[Record]],
    ordered: deque[Record | None],
    emit: Callable[[Record], None],
    drain_until_pool: Callable[[], None],
    window: threading.Semaphore,
    tally: _Tally,
    progress: Progress | None,
) -> None:
    for batch in results:
        for record in batch:
            drain_until_pool()
            if ordered:
                ordered.popleft()  # the placeholder this record fills
            emit(record)
        window.release()
        drain_until_pool()
        if progress is not None:
            progress(tally.result.files, tally.result.bytes)
    drain_until_pool()
    if progress is not None:
        progress(tally.result.files, tally.result.bytes)
