"""FIRST EPSS scores (CSV, plain or gzip) with the ``#model_version:...,score_date:...`` line."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from pathlib import Path

from imagewarden.model import Location, UserInputError
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.limits import CELL_CHARS, COLUMNS, ROWS, LimitExceeded
from imagewarden.readers.text import bounded_lines
from imagewarden.vulns.feeds.source import NOTHING_IMPORTED, excerpt
from imagewarden.vulns.interface import EpssScore

_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
_SCORE_DATE = re.compile(r"score_date:(\d{4}-\d{2}-\d{2})")


def _probability(text: str, column: str, where: Location) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(f"{column} {excerpt(text, 20)} is not a number", where) from None
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise UserInputError(f"{column} {value} is outside 0..1", where)
    return value


def _row(line: str, where: Location, max_cell: int) -> list[str]:
    try:
        row = next(csv.reader([line]), [])
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise LimitExceeded(CELL_CHARS, where) from None
        raise UserInputError(f"not a CSV row: {exc}", where) from None
    for cell in row:
        if len(cell) > max_cell:
            raise LimitExceeded(CELL_CHARS, where)
    return row


def read_epss(path: Path) -> Iterator[EpssScore]:
    """Every score of a FIRST EPSS CSV file (plain or gzip), streamed.

    Limits (``docs/limits.md``): decompressed bytes, line length, rows, columns and cell
    length; a truncated gzip stream is refused like any other bad file.
    """
    score_date = ""
    header: list[str] | None = None
    max_rows, max_columns, max_cell = ROWS.value(), COLUMNS.value(), CELL_CHARS.value()
    rows = 0
    with open_maybe_gzip(path) as raw:
        for line_number, line in bounded_lines(raw, str(path)):
            if line.startswith("#"):
                found = _SCORE_DATE.search(line)
                score_date = found.group(1) if found else score_date
                continue
            if not line.strip():
                continue
            where = Location(str(path), line_number)
            rows += 1
            if rows > max_rows:
                raise LimitExceeded(ROWS, where)
            row = _row(line, where, max_cell)
            if len(row) > max_columns:
                raise LimitExceeded(COLUMNS, where)
            if header is None:
                header = [c.strip().lower() for c in row]
                missing = {"cve", "epss", "percentile"} - set(header)
                if missing:
                    raise UserInputError(
                        f"not an EPSS CSV: columns {', '.join(sorted(missing))} missing", where
                    )
                if len(set(header)) != len(header):
                    raise UserInputError("the header names a column twice", where)
                continue
            if len(row) != len(header):
                raise UserInputError(
                    f"{len(row)} fields, the header has {len(header)}; {NOTHING_IMPORTED}",
                    where,
                )
            values = dict(zip(header, row, strict=True))
            cve = values["cve"].strip()
            if not _CVE_ID.match(cve):
                raise UserInputError(f"cve {excerpt(cve, 40)} is not a CVE id", where)
            yield EpssScore(
                cve=cve,
                epss=_probability(values["epss"], "epss", where),
                percentile=_probability(values["percentile"], "percentile", where),
                score_date=values.get("epss_date", "").strip()[:10] or score_date,
            )
    if header is None:
        raise UserInputError("no EPSS header row (cve,epss,percentile)", Location(str(path)))
