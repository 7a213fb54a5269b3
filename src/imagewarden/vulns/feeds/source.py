"""Opening feed files (plain or gzip) and turning parser failures into user errors."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO

from imagewarden.model import Location, UserInputError


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when it starts with the gzip magic number."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise UserInputError(f"cannot read: {exc.strerror}", Location(str(path))) from None
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


def record_error(path: Path, number: int, record: str, problem: str) -> UserInputError:
    """The error for a bad record: file, record number and id, and that nothing was written."""
    where = f"record {number}" + (f" ({record})" if record else "")
    return UserInputError(
        f"{where}: {problem}; nothing from this file was imported", Location(str(path))
    )
