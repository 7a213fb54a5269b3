"""Checking files in listing order, with the hashing spread over threads.

The calling thread opens each file a little ahead of its turn (asking the kernel to start
reading it, so a cold disk has many requests at once), reads its first bytes and checks the
header; hashing threads hash the rest of the large files meanwhile. Threads, not processes:
hashlib and file reads release the GIL, so the hashing uses every core; nothing is pickled
per file; nothing is forked inside a host process (a site worker runs in a Celery pool
process, whose signal handlers a fork would inherit). The Python work stays in one thread,
so the threads do not pass the GIL back and forth for every small file.

A bad file never raises (it is a problem in its record). What raises in a hashing thread is
the machine failing (out of memory, a system error) or a bug: the first such failure stops
every thread at its next chunk and ends the run with that failure, whichever file the
calling thread is waiting for.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from types import TracebackType

from imagewarden.model import InfrastructureError
from imagewarden.resilience.backup.scan import FileScan, Record, Stopped

OPEN_AHEAD = 32
"""Files opened, and their reading started, ahead of the one being checked."""
IN_FLIGHT = 32
"""Files whose rest the hashing threads may be hashing while the calling thread goes on."""


class HashingPool:
    """``threads`` hashing threads; use it as a context manager, so that however the run ends
    (done, a failed thread, a full disk, Ctrl-C) queued work is cancelled and running work
    stops before it returns."""

    def __init__(self, threads: int) -> None:
        self.stop = threading.Event()
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="imagewarden-hash")
        self._lock = threading.Lock()
        self._failure: BaseException | None = None

    def __enter__(self) -> HashingPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def hash_rest(self, scan: FileScan) -> Future[None]:
        """Hash the rest of ``scan`` in a thread."""
        future = self._executor.submit(scan.hash_rest, self.stop)
        future.add_done_callback(self._note_failure)
        return future

    def wait(self, future: Future[None]) -> None:
        """Wait for ``future``; the run's first failure, if any, as an error to report."""
        try:
            future.result()
            return
        except BaseException as exc:
            failure = self._failure or exc
        if isinstance(failure, MemoryError | OSError | Stopped):
            raise InfrastructureError(
                f"a hashing thread failed ({_describe(failure)}); the verification stopped "
                "(run it again; with --manifest-out and --resume it continues)"
            ) from None
        raise failure  # a bug: its traceback is what a report needs

    def _note_failure(self, future: Future[None]) -> None:
        # runs in the thread that finished: the first failure stops all threads
        if future.cancelled():
            return
        failure = future.exception()
        if failure is None or isinstance(failure, Stopped):
            return
        with self._lock:
            if self._failure is None:
                self._failure = failure
        self.stop.set()


def _describe(failure: BaseException) -> str:
    if isinstance(failure, MemoryError):
        return "out of memory"
    if isinstance(failure, OSError):
        return failure.strerror or type(failure).__name__
    return "stopped"


_Started = tuple[FileScan, "Future[None] | None"]


def scan_in_order(
    root: str, rels: Iterable[str], follow_links: bool, pool: HashingPool | None
) -> Generator[Record, None, None]:
    """The record of each of ``rels``, in order; the rest of large files is hashed by
    ``pool`` (in this thread without one). At most OPEN_AHEAD + IN_FLIGHT files are open."""
    opened: deque[FileScan] = deque()
    started: deque[_Started] = deque()
    try:
        for rel in rels:
            opened.append(FileScan(root, rel, follow_links, prefetch=True))
            if len(opened) > OPEN_AHEAD:
                started.append(_start(opened.popleft(), pool))
                while started and (len(started) > IN_FLIGHT or _done(started[0])):
                    yield _finish(started, pool)
        while opened:
            started.append(_start(opened.popleft(), pool))
            if len(started) > IN_FLIGHT:
                yield _finish(started, pool)
        while started:
            yield _finish(started, pool)
    finally:
        # a run that ends early: stop the threads reading these files, then close them
        if pool is not None:
            pool.stop.set()
        wait([future for _scan, future in started if future is not None])
        for scan, _future in started:
            scan.close()
        for scan in opened:
            scan.close()


def _start(scan: FileScan, pool: HashingPool | None) -> _Started:
    future = None
    if scan.read_first():
        if pool is None:
            scan.hash_rest()
        else:
            future = pool.hash_rest(scan)
    scan.check_header()  # while a thread hashes the rest
    return scan, future


def _done(started: _Started) -> bool:
    future = started[1]
    return future is None or future.done()


def _finish(started: deque[_Started], pool: HashingPool | None) -> Record:
    """The first started file's record, once it is hashed; it leaves ``started`` only then,
    so a run that ends while waiting still closes it (after its thread has stopped)."""
    scan, future = started[0]
    if future is not None and pool is not None:
        pool.wait(future)
    record = scan.finish()
    started.popleft()
    return record
