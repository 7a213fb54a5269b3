"""CSV inventories: a header row naming the columns, then one row per asset.

The file is read through the shared tabular reader (``imagewarden.readers.tabular``): line by
line as UTF-8 (a byte-order mark is accepted, other encodings are refused with the line and
byte offset of the first bad byte), within the input limits, parsed with the ``csv`` module
and validated row by row, so memory grows with the assets kept, not with intermediate copies.
"""

from __future__ import annotations

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
from imagewarden.inventory.source import HEAD_SIZE, check_head, open_source
from imagewarden.model import Inventory, Location, UserInputError
from imagewarden.readers.tabular import MalformedCsv, records, text_lines

_COLUMN_HINT = "columns whose names start with 'x_' or 'note' are ignored"


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
        """Validate every row into ``builder``; the header's line, or None if there is none.

        The file is read through the shared tabular reader (encoding, NUL bytes, delimiter,
        quoting and the input limits); a problem it finds stops reading.
        """
        header: _Header | None = None
        try:
            for record in records(text_lines(raw, file), file, "an inventory"):
                if header is None:
                    if record.blank:
                        continue
                    header = _Header(file, record.line)
                    header.read(record.cells, problems)
                    if header.fatal:
                        return record.line
                    continue
                self._row(record.cells, record.line, header, problems, builder)
        except MalformedCsv as exc:
            problems.add(exc.location or Location(file), exc.message, exc.hint)
        except UserInputError as exc:  # not UTF-8, a NUL byte, over an input limit
            problems.add(exc.location or Location(file), exc.message, exc.hint)
            raise StopReading from None
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
