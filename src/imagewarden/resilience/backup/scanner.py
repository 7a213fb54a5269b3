"""A checking process: it checks the batches of files its parent sends, in order.

``processes`` starts it as ``python -I -S`` with only this package on its path, so it
starts in a few tens of milliseconds and imports nothing but the scan (no store, no
pydantic). The parent and the child talk through the child's standard input and output in
frames: a 4-byte length, then a ``marshal`` payload (both ends are the same interpreter).
The parent sends a list of relative paths; the child answers with their records, or with
``("failed", why)`` when its own machinery fails (a bad file is a record, never a failure).

The child ignores Ctrl-C (its parent decides when the run stops and ends it) and is killed
by the kernel if its parent dies, so a run that ends however it ends leaves no process
hashing a huge file for hours.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal

from imagewarden.resilience.backup.scan import scan_in_order

MAX_FRAME = 256 << 20
"""A frame longer than this is corrupt (a batch of records is a few tens of kilobytes)."""
_PR_SET_PDEATHSIG = 1


class BrokenFrame(Exception):
    """The other end sent something that is not a frame."""


def frame(payload: bytes) -> bytes:
    """``payload`` as a frame: its length, then itself."""
    return len(payload).to_bytes(4, "big") + payload


def write_frame(fd: int, payload: bytes) -> None:
    """Write ``payload`` as one frame (blocking until all of it is written)."""
    view = memoryview(frame(payload))
    for _ in range(len(view) + 1):  # every write moves at least one byte
        if not view:
            return
        view = view[os.write(fd, view) :]


def read_frame(fd: int) -> bytes | None:
    """The next frame's payload; None when the other end closed between frames."""
    head = _read_exactly(fd, 4, at_start=True)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > MAX_FRAME:
        raise BrokenFrame(f"a frame of {size} bytes")
    payload = _read_exactly(fd, size, at_start=False)
    return payload if payload is not None else b""


def _read_exactly(fd: int, size: int, *, at_start: bool) -> bytes | None:
    parts: list[bytes] = []
    wanted = size
    for _ in range(size + 1):  # every read returns at least one byte, or ends the stream
        if wanted == 0:
            break
        part = os.read(fd, wanted)
        if not part:
            if at_start and wanted == size:
                return None
            raise BrokenFrame("the stream ended inside a frame")
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def describe(failure: BaseException) -> str:
    """What failed, in words for the person running the verification."""
    if isinstance(failure, MemoryError):
        return "out of memory"
    if isinstance(failure, OSError):
        return failure.strerror or type(failure).__name__
    return f"{type(failure).__name__}: {failure}"


def _die_with_parent(parent: int) -> None:
    # Linux: the kernel kills this process when the one that started it exits
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def serve(root: str, follow_links: bool, parent: int) -> int:
    """Check batches read from standard input until it closes; the exit code."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    try:
        for _ in range(1 << 62):  # until the parent closes the stream
            frame = read_frame(0)
            if frame is None:
                return 0
            rels = marshal.loads(frame)
            write_frame(1, marshal.dumps(list(scan_in_order(root, rels, follow_links))))
    except BrokenPipeError:
        return 0  # the parent stopped listening: nothing left to tell it
    except BaseException as exc:  # every failure is the parent's to report
        with contextlib.suppress(OSError):
            write_frame(1, marshal.dumps(("failed", describe(exc))))
        return 1
    return 0
