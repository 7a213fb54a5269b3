"""Opening inventory files and recognising files that are not text before parsing them."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from imagewarden.inventory.errors import InventoryInputError, single_problem
from imagewarden.model import Location, UserInputError
from imagewarden.readers.tabular import REENCODE_HINT, decode_problem, open_file

__all__ = [
    "HEAD_SIZE",
    "REENCODE_HINT",
    "UTF8_BOM",
    "check_head",
    "decode_problem",
    "open_source",
]

HEAD_SIZE = 8192
"""Bytes looked at to recognise binary files."""

UTF8_BOM = b"\xef\xbb\xbf"


_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (
        b"PK\x03\x04",
        "this is a ZIP archive (an Excel .xlsx workbook?), not a text file",
        "export the sheet as CSV UTF-8 and import that",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "this is an Office document (an Excel .xls workbook?), not a text file",
        "export the sheet as CSV UTF-8 and import that",
    ),
    (b"%PDF", "this is a PDF document, not a text file", "export the inventory as CSV or JSON"),
    (b"\xff\xfe", "this file is UTF-16 encoded", REENCODE_HINT),
    (b"\xfe\xff", "this file is UTF-16 encoded", REENCODE_HINT),
)


def open_source(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, or raise a user error saying why it cannot be."""
    try:
        return open_file(path, "an inventory file")
    except UserInputError as exc:
        raise single_problem(exc.location or Location(str(path)), exc.message, exc.hint) from None


def check_head(head: bytes, file: str) -> InventoryInputError | None:
    """The error for a file that is empty or not text at all, judged from its first bytes."""
    if not head:
        return single_problem(
            Location(file), "file is empty", "an inventory needs at least one asset"
        )
    for signature, message, hint in _SIGNATURES:
        if head.startswith(signature):
            return single_problem(Location(file, 1), message, hint)
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        return single_problem(
            Location(file, line),
            f"contains a NUL byte at byte offset {nul}: this looks like a binary file, "
            "not UTF-8 text",
            "import a CSV or JSON text file; if it is text, " + REENCODE_HINT,
        )
    return None
