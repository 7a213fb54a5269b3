"""The threads that hash batches of files for ``backup verify``, and how a run survives them.

Threads, not processes: hashlib and file reads release the GIL, so the hashing still uses
every core; nothing is pickled per file; and nothing is forked inside a host process (a site
worker runs in a Celery pool process, whose signal handlers a fork would inherit). More
threads than cores keep several reads in flight, which is what a cold disk needs.

A bad file never raises (it is a problem in its record). What raises in a thread is the
machine failing (out of memory, an error of the system rather than of one file) or a bug;
the first such failure stops every thread at its next file or chunk and ends the run with
that failure, whichever batch the calling thread is waiting for.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from imagewarden.model import InfrastructureError
from imagewarden.resilience.backup.scan import Record, Stopped, Task, scan_batch


class HashingPool:
    """``threads`` threads scanning batches; use it as a context manager, so that however
    the run ends (done, a failed thread, a full disk, Ctrl-C) queued batches are cancelled
    and running ones stop before it returns."""

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

    def in_order(self, tasks: Iterator[Task], most: int) -> Iterator[list[Record]]:
        """Each task's records in listing order, with at most ``most`` batches in flight (so
        the listing, and memory, advance only as results are consumed)."""
        in_flight: deque[Future[list[Record]]] = deque()
        try:
            for task in tasks:
                future = self._executor.submit(scan_batch, task, self.stop)
                future.add_done_callback(self._note_failure)
                in_flight.append(future)
                if len(in_flight) >= most:
                    yield self._result(in_flight.popleft())
            while in_flight:
                yield self._result(in_flight.popleft())
        finally:
            for future in in_flight:
                future.cancel()

    def _note_failure(self, future: Future[list[Record]]) -> None:
        # runs in the thread that finished the batch: the first failure stops all threads
        if future.cancelled():
            return
        failure = future.exception()
        if failure is None or isinstance(failure, Stopped):
            return
        with self._lock:
            if self._failure is None:
                self._failure = failure
        self.stop.set()

    def _result(self, future: Future[list[Record]]) -> list[Record]:
        try:
            return future.result()
        except BaseException as exc:
            failure = self._failure or exc
        if isinstance(failure, MemoryError | OSError | Stopped):
            raise InfrastructureError(
                f"a hashing thread failed ({_describe(failure)}); the verification stopped "
                "(run it again; with --manifest-out and --resume it continues)"
            ) from None
        raise failure  # a bug: its traceback is what a report needs


def _describe(failure: BaseException) -> str:
    if isinstance(failure, MemoryError):
        return "out of memory"
    if isinstance(failure, OSError):
        return failure.strerror or type(failure).__name__
    return "stopped"
