"""Write a file all at once: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


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
