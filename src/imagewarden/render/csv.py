"""The one CSV writer: every CSV the tool writes goes through it.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by spreadsheet programs (CSV injection); owners, notes and titles come from users'
files, so such cells are prefixed with an apostrophe, which spreadsheets show as text.
Numbers are written as numbers (a negative number is not a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from imagewarden.render.atomic import write_text_atomic

Cell = str | int | float | bool | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Cell) -> str | int | float:
    """The value as it is safe to write into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_rows(handle: TextIO, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """Stream a CSV document (header first) to ``handle``, every cell neutralised."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A whole CSV document (header first), every cell neutralised."""
    buffer = io.StringIO()
    write_rows(buffer, header, rows)
    return buffer.getvalue()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """Write a CSV file atomically (a new file is readable by its owner only)."""
    write_text_atomic(path, csv_text(header, rows))
