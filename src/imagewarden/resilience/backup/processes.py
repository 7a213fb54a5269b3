"""Checking files in listing order, spread over checking processes (``scanner``).

The calling thread lists the files and sends them in batches, round robin, to one process
per core; each process opens its files ahead, hashes them and checks their headers, and
answers with their records; records are taken back in the order the batches were sent, so
the manifest is the same as a run in one thread. Processes, not threads: the header walk
and the per-file work are Python, which one process runs on one core at a time, and the
machines this runs on verify archives of millions of small files. The processes are
started fresh (``python -I -S``, only the scan imported), never forked, so nothing of the
host process (a web server's threads, a site worker's signal handlers, open connections)
is copied into them.

A bad file is a record, never a failure. What fails is the machine (a process out of
memory, killed, or unable to start): the run stops at once with an ``InfrastructureError``
and every process is killed, whatever file it was hashing.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import select
import subprocess
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from itertools import chain, islice
from types import TracebackType

import imagewarden
from imagewarden.model import InfrastructureError
from imagewarden.resilience.backup.scan import Record, scan_in_order
from imagewarden.resilience.backup.scanner import BrokenFrame, frame, read_frame

logger = logging.getLogger(__name__)

BATCH = 48
"""Files per batch: enough to make a message worth sending, few enough that the first
records come back at once and the processes stay evenly loaded."""
AHEAD = 3
"""Batches each process may have waiting, so it never idles while the caller catches up."""
_STOP_WAIT_S = 10.0
_AGAIN = "(run it again; with --manifest-out and --resume it continues)"
# the child's path holds only the folder this package is in: -I -S keeps out the user's
# site-packages and environment, so the child imports exactly this code
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(imagewarden.__file__)))  # noqa: PTH100, PTH120
_BOOT = (
    "import sys; sys.path.append(sys.argv[1]);"
    "from imagewarden.resilience.backup.scanner import serve;"
    "sys.exit(serve(sys.argv[2], sys.argv[3] == '1', int(sys.argv[4])))"
)


class CannotStart(Exception):
    """No checking process could be started here (the interpreter cannot run itself: an
    embedded one, or one this user may not execute); the caller checks in its own thread."""


def _can_start() -> bool:
    """This interpreter can start checking processes (it is a Python one, found on disk)."""
    name = os.path.basename(sys.executable or "")  # noqa: PTH119
    return name.startswith("python") and os.access(sys.executable, os.X_OK)


class _Checker:
    """One checking process and the two ends of its pipes."""

    def __init__(self, root: str, follow_links: bool) -> None:
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _BOOT, _PACKAGE_PARENT, root,
                 "1" if follow_links else "0", str(os.getpid())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                bufsize=0,
            )  # fmt: skip
        except OSError as exc:
            raise CannotStart(f"cannot start a checking process ({exc.strerror or exc})") from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to = self.process.stdin.fileno()
        self._from = self.process.stdout.fileno()
        os.set_blocking(self._to, False)
        self._unsent = bytearray()
        self.answers: deque[list[Record]] = deque()
        """Answers read, not yet taken (at most AHEAD: each answers a batch sent)."""

    @property
    def reads_from(self) -> int:
        """The end its answers are read from."""
        return self._from

    @property
    def writes_to(self) -> int | None:
        """The end batches are written to, while part of one is still unsent."""
        return self._to if self._unsent else None

    def send(self, rels: list[str]) -> None:
        """Queue a batch and write what the pipe takes now (``flush`` writes the rest)."""
        self._unsent += frame(marshal.dumps(rels))
        self.flush()

    def flush(self) -> None:
        """Write as much of the unsent batches as the pipe takes, without waiting; a process
        that ended is noticed when its answers are read."""
        for _ in range(len(self._unsent) + 1):  # every write moves at least one byte
            if not self._unsent:
                return
            try:
                written = os.write(self._to, self._unsent)
            except BlockingIOError:
                return
            except OSError:
                self._unsent.clear()
                return
            del self._unsent[:written]

    def take_answer(self) -> None:
        """Read the process's next answer (it is ready) into ``answers``."""
        try:
            frame = read_frame(self._from)
        except BrokenFrame:
            frame = None
        if frame is None:
            raise self._ended()
        answer = marshal.loads(frame)
        if isinstance(answer, tuple):
            raise InfrastructureError(
                f"a checking process failed ({answer[1]}); the verification stopped {_AGAIN}"
            )
        self.answers.append(answer)

    def _ended(self) -> InfrastructureError:
        try:
            code = self.process.wait(_STOP_WAIT_S)
        except subprocess.TimeoutExpired:  # alive, but its answer broke off
            self.kill_process()
            code = self.process.wait()
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        if code == -9:
            how += ", perhaps for lack of memory"
        return InfrastructureError(
            f"a checking process ended unexpectedly ({how}); the verification stopped {_AGAIN}"
        )

    def finish(self) -> None:
        """Tell the process there is no more work and wait for it to end."""
        self.close_input()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(_STOP_WAIT_S)
        self.kill()

    def kill_process(self) -> None:
        """End the process now, whatever it is doing (a huge file's hashing included)."""
        if self.process.poll() is None:
            self.process.kill()

    def kill(self) -> None:
        """End the process now and close its pipes."""
        self.kill_process()
        self.close_input()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def close_input(self) -> None:
        """Tell the process there is no more work (it ends once idle)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()


class CheckingProcesses:
    """``count`` checking processes; use it as a context manager, so that however the run
    ends (done, a failed process, a full disk, Ctrl-C) every process has ended before it
    returns.

    One thread writes batches and reads answers, never waiting on a write: a batch of long
    paths that does not fit in a process's pipe is finished while waiting for answers, so
    a process waiting for its answers to be read and a caller waiting for its batch to be
    taken cannot wait on each other.
    """

    def __init__(self, root: str, follow_links: bool, count: int) -> None:
        self._root, self._follow_links, self._count = root, follow_links, count
        self._checkers: list[_Checker] = []
        self._done = False
        self._startable = _can_start()
        if not self._startable:
            logger.warning("this Python cannot start checking processes: checking in one thread")

    def _start(self) -> bool:
        """Start the processes; False (every one started is ended) when they cannot be."""
        if not self._startable:
            return False
        try:
            for _ in range(self._count):
                self._checkers.append(_Checker(self._root, self._follow_links))
        except CannotStart as exc:
            logger.warning("%s: checking in one thread", exc)
            self._end(kill=True)
            self._checkers.clear()
            return False
        return True

    def __enter__(self) -> CheckingProcesses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._end(kill=not self._done)

    def _end(self, *, kill: bool) -> None:
        if not kill:  # every process told first, so they end together
            for checker in self._checkers:
                checker.close_input()
        for checker in self._checkers:
            if kill:
                checker.kill()
            else:
                checker.finish()

    def scan_in_order(self, rels: Iterable[str]) -> Generator[Record, None, None]:
        """The record of each of ``rels``, in order. A listing of one batch or less is
        checked in this thread: starting processes would cost more than they save."""
        listed = iter(rels)
        first = list(islice(listed, BATCH))
        if len(first) < BATCH or not self._start():
            yield from scan_in_order(self._root, chain(first, listed), self._follow_links)
            self._done = True
            return
        checkers = self._checkers
        waiting: deque[_Checker] = deque()  # the process of each batch sent, oldest first
        limit = len(checkers) * AHEAD
        for turn, batch in enumerate(chain([first], _batches(listed))):
            checker = checkers[turn % len(checkers)]
            checker.send(batch)
            waiting.append(checker)
            if len(waiting) >= limit:
                yield from self._answer(waiting.popleft())
        while waiting:
            yield from self._answer(waiting.popleft())
        self._done = True

    def _answer(self, checker: _Checker) -> list[Record]:
        """``checker``'s oldest answer. While waiting for it, every process's answers are
        read as they come (a process that fails or dies stops the run at once, even while
        the one waited for hashes a file for hours) and unsent batches are written."""
        for _ in range(1 << 62):  # until the answer is in
            if checker.answers:
                return checker.answers.popleft()
            readers: dict[int, _Checker] = {}
            writers: dict[int, _Checker] = {}
            ready = select.poll()
            for each in self._checkers:
                readers[each.reads_from] = each
                ready.register(each.reads_from, select.POLLIN)
                if (fd := each.writes_to) is not None:
                    writers[fd] = each
                    ready.register(fd, select.POLLOUT)
            for fd, _event in ready.poll():
                if fd in readers:
                    readers[fd].take_answer()
                else:
                    writers[fd].flush()
        raise AssertionError("unreachable")


def _batches(rels: Iterator[str]) -> Iterator[list[str]]:
    for _ in range(1 << 62):
        batch = list(islice(rels, BATCH))
        if not batch:
            return
        yield batch
