"""CSV inventories: a header row naming the columns, then one row per asset.

The file is read line by line as UTF-8 (a byte-order mark is accepted, other encodings are
refused with the line and byte offset of the first bad byte), parsed with the ``csv`` module
and validated row by row, so memory grows with the assets kept, not with intermediate copies.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from imagewarden.inventory.columns import (
    ASSET_COLUMNS,
    REQUIRED_COLUMNS,
    Column,
    is_ignored,
)
from imagewarden.inventory.errors import Problems, StopReading, TooManyProblems
from imagewarden.inventory.interface import ImportContext
from imagewarden.inventory.normalise import Normaliser
from imagewarden.inventory.records import AssetBuilder
from imagewarden.inventory.sites import SiteBook
from imagewarden.inventory.source import (
    HEAD_SIZE,
    REENCODE_HINT,
    check_head,
    decode_problem,
    open_source,
)
from imagewarden.model import Inventory, Location

DELIMITERS = (",", ";", "\t")
"""Accepted delimiters; the one used most in the header line wins (comma on a tie)."""

_EXCEL_SEPARATOR = re.compile(r"sep=([,;\t])")
"""The first line Excel writes to name the delimiter, e.g. 'sep=;'."""

_COLUMN_HINT = "columns whose names start with 'x_' or 'note' are ignored"


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


class _Header:
    """The header row: which column each position holds, and where each column is."""

    def __init__(self, file: str, line: int) -> None:
        self.file = file
        self.line = line
        self.columns: list[Column | None] = []
        self.labels: list[str] = []
        self.unnamed: list[int] = []
        self.positions: dict[str, int] = {}
        self.fatal = False

    def read(self, cells: list[str], problems: Problems) -> None:
        for index, cell in enumerate(cells):
            label = cell.strip().lstrip("\ufeff").strip()
            self.labels.append(label)
            self.columns.append(None)
            if not label:
                self.unnamed.append(index)
                continue
            if is_ignored(label):
                continue
            column = ASSET_COLUMNS.resolve(label)
            location = Location(self.file, self.line, index + 1, label)
            if column is None:
                suggestion = ASSET_COLUMNS.suggestion(label)
                problems.add(
                    location,
                    f"unknown column {label!r}"
                    + (f"; did you mean {suggestion!r}?" if suggestion else ""),
                    _COLUMN_HINT,
                )
                continue
            first = self.positions.get(column.name)
            if first is not None:
                self.fatal = True
                problems.add(
                    location,
                    f"column {label!r} repeats column {self.labels[first]!r} "
                    f"(column {first + 1}), both mean {column.name!r}",
                    "keep only one of them",
                )
                continue
            self.positions[column.name] = index
            self.columns[index] = column
        for name in REQUIRED_COLUMNS:
            if name not in self.positions:
                self.fatal = True
                aliases = ASSET_COLUMNS.by_name[name].aliases
                problems.add(
                    Location(self.file, self.line, field=name),
                    f"missing required column {name!r}",
                    "required columns: "
                    + ", ".join(REQUIRED_COLUMNS)
                    + (f"; {name!r} may also be spelled " + ", ".join(map(repr, aliases))),
                )


class _RowWhere:
    __slots__ = ("header", "line")

    def __init__(self, header: _Header, line: int) -> None:
        self.header = header
        self.line = line

    def at(self, column: str) -> Location:
        index = self.header.positions.get(column)
        if index is None:
            return Location(self.header.file, self.line, field=column)
        return Location(self.header.file, self.line, index + 1, self.header.labels[index])

    def label(self) -> str:
        return f"line {self.line}"


def _decoded_lines(raw: BinaryIO, file: str, problems: Problems) -> Iterator[str]:
    """The file's lines as text; stops with a problem at the first invalid UTF-8 or NUL."""
    offset = 0
    for number, chunk in enumerate(raw, start=1):
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            column, message = decode_problem(chunk, exc.start, offset)
            problems.add(Location(file, number, column), message, REENCODE_HINT)
            raise StopReading from None
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        nul = text.find("\x00")
        if nul >= 0:
            problems.add(
                Location(file, number, nul + 1),
                f"contains a NUL byte at byte offset {offset + len(text[:nul].encode())}",
                "the file is damaged or not a text file; remove the NUL bytes",
            )
            raise StopReading
        offset += len(chunk)
        yield text


class CsvImporter:
    """Reads ``.csv`` and ``.txt`` inventories (comma, semicolon or tab separated)."""

    suffixes: tuple[str, ...] = (".csv", ".txt")

    def read(self, path: Path, context: ImportContext) -> Inventory:
        file = str(path)
        problems = Problems()
        sites = SiteBook()
        builder = AssetBuilder(
            normaliser=Normaliser(context.catalog),
            sites=sites,
            problems=problems,
            observed_at=context.observed_at,
            collector=f"inventory:{path.name}",
        )
        with open_source(path) as raw:
            head = raw.read(HEAD_SIZE)
            error = check_head(head, file)
            if error is not None:
                raise error
            raw.seek(0)
            try:
                header_line = self._read_rows(raw, file, problems, builder)
            except (TooManyProblems, StopReading):
                header_line = None
        problems.raise_if_any()
        if header_line is None:
            problems.add(
                Location(file),
                "file is empty (no header line)",
                "the first line names the columns: " + ", ".join(REQUIRED_COLUMNS),
            )
        elif not builder.assets:
            problems.add(
                Location(file, header_line),
                "no assets: the file has a header but no rows",
                "add one row per asset below the header",
            )
        problems.raise_if_any()
        return Inventory(
            sites=sites.sites,
            assets=tuple(builder.assets),
            observations=tuple(builder.observations),
        )

    def _read_rows(
        self, raw: BinaryIO, file: str, problems: Problems, builder: AssetBuilder
    ) -> int | None:
        """Validate every row into ``builder``; the header's line, or None if there is none."""
        lines = _decoded_lines(raw, file, problems)
        first = next(lines, None)
        skipped = 0
        excel_separator = _EXCEL_SEPARATOR.fullmatch(first.strip()) if first else None
        if excel_separator is not None:
            skipped, first = 1, next(lines, None)
        if first is None:
            return None
        delimiter = excel_separator.group(1) if excel_separator else detect_delimiter(first)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        header: _Header | None = None
        previous_line = skipped
        try:
            for row in reader:
                line = previous_line + 1
                previous_line = reader.line_num + skipped
                if header is None:
                    if not any(cell.strip() for cell in row):
                        continue
                    header = _Header(file, line)
                    header.read(row, problems)
                    if header.fatal:
                        return line
                    continue
                self._row(row, line, header, problems, builder)
        except csv.Error as exc:
            problems.add(Location(file, previous_line + 1), *_csv_error(str(exc)))
        return None if header is None else header.line

    @staticmethod
    def _row(
        row: list[str], line: int, header: _Header, problems: Problems, builder: AssetBuilder
    ) -> None:
        width = len(header.columns)
        if len(row) != width:
            if not any(cell.strip() for cell in row):
                return
            if len(row) > width:
                problems.add(
                    Location(header.file, line, width + 1),
                    f"row has {len(row)} fields but the header has {width} columns",
                    "a value probably contains the delimiter; put it in double quotes",
                )
            else:
                problems.add(
                    Location(header.file, line, len(row) + 1),
                    f"row has {len(row)} fields but the header has {width} columns",
                    "give every row one value per header column; leave unknown values empty",
                )
            return
        values: dict[str, object] = {}
        for column, cell in zip(header.columns, row, strict=True):
            if column is not None and cell:
                text = cell.strip()
                if text:
                    values[column.name] = text
        for index in header.unnamed:
            if row[index].strip():
                problems.add(
                    Location(header.file, line, index + 1),
                    "value in a column that has no header",
                    "name the column in the header, or start its name with 'x_' to ignore it",
                )
        if not values and not any(cell.strip() for cell in row):
            return
        builder.build(values, _RowWhere(header, line))


_QUOTING_HINT = (
    "put values that contain the delimiter, a quote or a line break in double quotes, "
    'and write each quote inside them twice: ""'
)


def _csv_error(text: str) -> tuple[str, str]:
    """Message and hint for an error of the ``csv`` module, in the user's terms."""
    if "new-line character seen in unquoted field" in text:
        return (
            "line breaks are a bare carriage return (old Mac style)",
            "re-save the file with Windows CRLF or Unix LF line endings",
        )
    if "unexpected end of data" in text:
        return ("a quoted value that starts in this row is never closed", _QUOTING_HINT)
    if "field larger than field limit" in text:
        return (
            "a value is longer than 131072 characters",
            "this is probably not an inventory, or a quote is never closed",
        )
    return (f"malformed CSV in the row starting on this line: {text}", _QUOTING_HINT)
