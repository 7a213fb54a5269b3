"""Write a file all at once: readers see the old file or the new one, never half of one.

Every file the tool creates may hold personal or sensitive data (reports, exports, imported
culture data, manifests, restored images): a new file is readable by its owner only, made so
when it is created (no window in which others may open it). ``open_private`` does the same
for files written in place (appended manifests, copies).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal, TextIO, cast, overload


@contextlib.contextmanager
def _replacing(out: Path) -> Iterator[tuple[int, Path]]:
    """A temporary file beside ``out`` (descriptor and path); on success it replaces ``out``.

    If the body raises, the temporary file is removed and ``out`` is left as it was. A new
    file is readable by its owner only (reports describe weaknesses of clinical systems); a
    replaced file keeps the permissions it had, so a deliberately shared report stays shared.
    """
    out = Path(out)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        yield fd, tmp
        with contextlib.suppress(FileNotFoundError):
            tmp.chmod(stat.S_IMODE(out.stat().st_mode))
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_text_writer(out: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """A text handle whose content replaces ``out`` only when the block ends normally."""
    with (
        _replacing(out) as (fd, _tmp),
        os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle,
    ):
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(out: Path, text: str) -> None:
    """Replace ``out`` with ``text`` (UTF-8) atomically."""
    with atomic_text_writer(out) as handle:
        handle.write(text)


def write_bytes_atomic(out: Path, data: bytes) -> None:
    """Replace ``out`` with ``data`` atomically."""
    with _replacing(out) as (fd, _tmp), os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


PRIVATE_MODE = 0o600
"""Permissions of a file the tool creates: read and write for its owner only."""


@overload
def open_private(path: Path, mode: Literal["w", "a"], *, newline: str | None = None) -> TextIO: ...
@overload
def open_private(path: Path, mode: Literal["wb", "ab"], *, newline: None = None) -> BinaryIO: ...
def open_private(path: Path, mode: str, *, newline: str | None = None) -> TextIO | BinaryIO:
    """``path`` opened to write (``w``/``wb``: truncated) or append (``a``/``ab``); a new file
    is created readable by its owner only, an existing file keeps its permissions."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC
    flags |= os.O_APPEND if mode.startswith("a") else os.O_TRUNC
    descriptor = os.open(path, flags, PRIVATE_MODE)
    try:
        if "b" in mode:
            return cast(BinaryIO, os.fdopen(descriptor, mode))
        return cast(TextIO, os.fdopen(descriptor, mode, encoding="utf-8", newline=newline))
    except BaseException:
        os.close(descriptor)
        raise
