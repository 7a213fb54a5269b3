"""Spreadsheets (.xlsx) from outside: every part checked in a streaming pass before any
spreadsheet library opens the file.

An .xlsx is a zip of XML parts; a few megabytes can hold a hundred million cells or shared
strings, or one shared string of gigabytes, and spreadsheet libraries load the shared
strings (and each row) whole. ``check_workbook`` reads every part once through expat,
building nothing, and refuses the file at the first limit passed: parts in the zip,
decompressed bytes, XML nesting, rows, cells per row, cells in all, shared strings, and the
characters of one cell or shared string. Only then is the file handed to openpyxl, which
then holds at most what the limits allow.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import (
    CELL_CHARS,
    COLUMNS,
    ROWS,
    SHARED_STRINGS,
    SHEET_CELLS,
    SPREADSHEET_BYTES,
    SPREADSHEET_PARTS,
    Limit,
    LimitExceeded,
    check_size,
)
from imagewarden.readers.xml import scan_xml

_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_TEXT_PARTS = (".xml", ".rels", ".vml")


def _not_a_workbook(source: str, why: str) -> UserInputError:
    return UserInputError(f"not a readable .xlsx workbook: {why}", Location(source))


def _declared_parts(path: Path) -> int:
    """How many files the zip says it holds, read from its end record before opening it
    (the zip library loads its whole directory at once)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        tail_size = min(size, 22 + 65535)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) < at + 22:
        raise _not_a_workbook(str(path), "not a zip file")
    if at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
        raise LimitExceeded(SPREADSHEET_PARTS, str(path), "a zip64 archive")
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return int(entries)


class _Counter:
    """Counts what the parts hold and stops at the first limit."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.limits = {
            limit.name: limit.value()
            for limit in (CELL_CHARS, COLUMNS, ROWS, SHARED_STRINGS, SHEET_CELLS)
        }
        self.bytes_limit = SPREADSHEET_BYTES.value()
        self.bytes = 0
        self.cells = 0
        self.strings = 0
        self.part = ""
        self.rows = 0
        self.row_cells = 0
        self.text = 0

    def over(self, limit: Limit, detail: str = "") -> LimitExceeded:
        return LimitExceeded(limit, Location(self.source, field=self.part), detail)

    def count_bytes(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.bytes_limit:
            raise self.over(SPREADSHEET_BYTES)

    def start(self, tag: str, _attributes: Mapping[str, str], _depth: int) -> None:
        # Text is counted from one element start to the next: a cell's value, an inline or
        # shared string, a formula (the spaces between elements count too, harmlessly).
        self.text = 0
        if tag == "row":
            self.rows += 1
            self.row_cells = 0
            if self.rows > self.limits["rows"]:
                raise self.over(ROWS)
        elif tag == "c":
            self.cells += 1
            self.row_cells += 1
            if self.row_cells > self.limits["columns"]:
                raise self.over(COLUMNS, f"row {self.rows}")
            if self.cells > self.limits["sheet_cells"]:
                raise self.over(SHEET_CELLS)
        elif tag == "si":
            self.strings += 1
            if self.strings > self.limits["shared_strings"]:
                raise self.over(SHARED_STRINGS)

    def characters(self, size: int) -> None:
        self.text += size
        if self.text > self.limits["cell_chars"]:
            raise self.over(CELL_CHARS)


def check_workbook(path: Path) -> None:
    """Refuse an .xlsx over any limit (``docs/limits.md``), or one that is not a readable
    zip of well-formed, DTD-free XML, without building anything in memory."""
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserInputError(f"cannot read file: {exc.strerror}", Location(source)) from None
    check_size(source, size, SPREADSHEET_BYTES)
    if _declared_parts(path) > SPREADSHEET_PARTS.value():
        raise LimitExceeded(SPREADSHEET_PARTS, source)
    counter = _Counter(source)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            if len(parts) > SPREADSHEET_PARTS.value():
                raise LimitExceeded(SPREADSHEET_PARTS, source)
            for info in parts:
                counter.part = info.filename[:80]
                with archive.open(info) as stream:
                    if info.filename.lower().endswith(_TEXT_PARTS):
                        scan_xml(
                            stream,
                            f"{source} ({counter.part})",
                            start=counter.start,
                            text=counter.characters,
                            count=counter.count_bytes,
                        )
                    else:
                        while chunk := stream.read(64 * 1024):
                            counter.count_bytes(len(chunk))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        raise _not_a_workbook(source, f"a damaged zip file ({type(exc).__name__})") from None
    except (NotImplementedError, RuntimeError) as exc:
        # An unsupported compression method, or an encrypted part.
        raise _not_a_workbook(source, str(exc)[:80] or type(exc).__name__) from None
    except OSError as exc:
        raise _not_a_workbook(source, exc.strerror or type(exc).__name__) from None
