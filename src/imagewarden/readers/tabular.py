"""Tables from outside (CSV, semicolon- or tab-separated text): one bounded reader.

Two layers. The low one reads any delimited text file line by line as UTF-8 and yields its
records with their line numbers, enforcing the input limits (``readers.limits``):

* the file's size (``IMAGEWARDEN_MAX_FILE_BYTES``) and each physical line's length
  (``IMAGEWARDEN_MAX_LINE_BYTES``), so a 5 GiB line is refused, not read into memory;
* the number of rows (``IMAGEWARDEN_MAX_ROWS``), the number of cells in a row
  (``IMAGEWARDEN_MAX_COLUMNS``) and each cell's length (``IMAGEWARDEN_MAX_CELL_CHARS``);
* invalid UTF-8 and NUL bytes are refused with the line and byte offset; quoting errors
  with the line a malformed record starts on.

The high one, ``read_table``, adds a header with column aliases: each column has a canonical
name and the header spellings accepted for it (matched by ``loose_header_key``: case, spaces
and punctuation do not matter). It refuses a header that names one column twice (two
``answer`` columns), a missing required column, a row with fewer or more cells than the
header (a GoPhish row with 11 of 12 fields), and control characters (NUL, ESC, ...; tab and
line breaks are allowed) in any cell. Unknown columns are ignored and never stored.

Every error is a ``UserInputError`` naming the file, line and column and quoting at most
``EXCERPT_CHARS`` characters of the offending value (``excerpt``).
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Generic, Protocol, TypeVar

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import (
    CELL_CHARS,
    COLUMNS,
    FILE_BYTES,
    LINE_BYTES,
    ROWS,
    LimitExceeded,
)
from imagewarden.readers.text import CONTROL_HINT
from imagewarden.readers.text import EXCERPT_CHARS as EXCERPT_CHARS  # re-exported
from imagewarden.readers.text import control_character as control_character  # re-exported
from imagewarden.readers.text import excerpt as excerpt  # re-exported

DELIMITERS = (",", ";", "\t")
"""Accepted delimiters; the one used most in the header line wins (comma on a tie)."""

REENCODE_HINT = (
    "re-save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)'; in LibreOffice: "
    "character set 'Unicode (UTF-8)')"
)
NUL_HINT = "the file is damaged or not a text file; remove the NUL bytes"

_EXCEL_SEPARATOR = re.compile(r"sep=([,;\t])")
"""The first line Excel writes to name the delimiter, e.g. 'sep=;'."""
_HEADER_SEPARATORS = re.compile(r"[\s\-.]+")
_UNDERSCORES = re.compile(r"_+")
_PUNCTUATION = re.compile(r"[\W_]+")
_QUOTING_HINT = (
    "put values that contain the delimiter, a quote or a line break in double quotes, "
    'and write each quote inside them twice: ""'
)


# --- header keys and aliases ---------------------------------------------------------------


def header_key(header: str) -> str:
    """Headers compared ignoring case, outer spaces, a BOM, and space/dash/dot vs '_'."""
    key = _HEADER_SEPARATORS.sub("_", header.strip().lstrip("\ufeff").strip().casefold())
    return _UNDERSCORES.sub("_", key).strip("_")


def loose_header_key(header: str) -> str:
    """Headers compared ignoring case and any punctuation ("Due Date", "due-date", "DUE/DATE")."""
    return _PUNCTUATION.sub("_", header.strip().lstrip("\ufeff").casefold()).strip("_")


class Named(Protocol):
    """A column as aliases know it: a canonical name and other accepted spellings."""

    @property
    def name(self) -> str:
        """The canonical name."""
        ...

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other spellings accepted for it."""
        ...


C = TypeVar("C", bound=Named)


class Aliases(Generic[C]):
    """A set of columns and the header keys that name them."""

    def __init__(self, columns: Sequence[C], key: Callable[[str], str] = header_key) -> None:
        self.columns = tuple(columns)
        self.key = key
        self.by_name: dict[str, C] = {c.name: c for c in self.columns}
        self.by_key: dict[str, C] = {}
        for column in self.columns:
            for spelling in (column.name, *column.aliases):
                k = key(spelling)
                other = self.by_key.get(k)
                if other is not None and other is not column:
                    raise ValueError(f"column key {k!r} names {other.name} and {column.name}")
                self.by_key[k] = column

    def resolve(self, header: str) -> C | None:
        """The column a header names, or None."""
        return self.by_key.get(self.key(header))


# --- files, lines and records --------------------------------------------------------------


def open_file(path: Path, what: str = "file") -> BinaryIO:
    """``path`` opened for reading bytes, within the file size limit, or a user error."""
    location = Location(str(path))
    try:
        if path.is_dir():
            raise UserInputError(f"is a directory, not {what}", location)
        handle = path.open("rb")
    except FileNotFoundError:
        raise UserInputError("file not found", location, "check the path") from None
    except PermissionError:
        raise UserInputError(
            "permission denied", location, "check that you may read this file"
        ) from None
    except IsADirectoryError:
        raise UserInputError(f"is a directory, not {what}", location) from None
    except OSError as exc:
        raise UserInputError(f"cannot read the file: {exc.strerror or exc}", location) from None
    try:
        size = os.fstat(handle.fileno()).st_size
        if size > FILE_BYTES.value():
            raise LimitExceeded(FILE_BYTES, location, f"{size:,} bytes")
    except BaseException:
        handle.close()
        raise
    return handle


def decode_problem(line_bytes: bytes, start: int, line_offset: int) -> tuple[int, str]:
    """(column, message) for the invalid UTF-8 byte at ``start`` of a line.

    ``line_offset`` is the line's byte offset in the file; the column counts characters.
    """
    column = len(line_bytes[:start].decode("utf-8", "replace")) + 1
    bad = line_bytes[start]
    return column, (
        f"not valid UTF-8: byte 0x{bad:02X} at byte offset {line_offset + start} "
        "(the file is probably in a legacy encoding such as Windows-1252 or Latin-1)"
    )


def text_lines(raw: BinaryIO, source: str) -> Iterator[str]:
    """The file's lines as text (line endings kept, a leading BOM dropped).

    Refuses a line longer than the line limit, invalid UTF-8 and NUL bytes, naming the line,
    the column and the byte offset.
    """
    limit = LINE_BYTES.value()
    offset = 0
    for number in itertools.count(1):
        chunk = raw.readline(limit + 1)
        if not chunk:
            return
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            raise LimitExceeded(LINE_BYTES, Location(source, number))
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            column, message = decode_problem(chunk, exc.start, offset)
            raise UserInputError(message, Location(source, number, column), REENCODE_HINT) from None
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        nul = text.find("\x00")
        if nul >= 0:
            at = offset + len(text[:nul].encode())
            raise UserInputError(
                f"contains a NUL byte at byte offset {at}",
                Location(source, number, nul + 1),
                NUL_HINT,
            )
        offset += len(chunk)
        yield text


def detect_delimiter(header_line: str) -> str:
    """The delimiter used most in ``header_line`` (comma on a tie)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


class MalformedCsv(UserInputError):
    """The ``csv`` module could not parse a record; ``detail`` is its own message."""

    def __init__(self, detail: str, location: Location, kind: str = "a table") -> None:
        message, hint = csv_problem(detail, kind)
        super().__init__(message, location, hint)
        self.detail = detail


def csv_problem(text: str, kind: str = "a table") -> tuple[str, str]:
    """Message and hint for an error of the ``csv`` module, in the user's terms (``kind``:
    what the file should be, e.g. "an inventory")."""
    if "new-line character seen in unquoted field" in text:
        return (
            "line breaks are a bare carriage return (old Mac style)",
            "re-save the file with Windows CRLF or Unix LF line endings",
        )
    if "unexpected end of data" in text:
        return ("a quoted value that starts in this row is never closed", _QUOTING_HINT)
    if "field larger than field limit" in text:
        return (
            f"a value is longer than {csv.field_size_limit()} characters",
            f"this is probably not {kind}, or a quote is never closed",
        )
    return (f"malformed CSV in the row starting on this line: {text[:120]}", _QUOTING_HINT)


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a delimited file: the line it starts on and its cells."""

    line: int
    cells: list[str]

    @property
    def blank(self) -> bool:
        """No cell holds anything but white space (spreadsheets leave such rows)."""
        return not any(cell.strip() for cell in self.cells)


def records(lines: Iterator[str], source: str, kind: str = "a table") -> Iterator[Record]:
    """The records of delimited text: a first line ``sep=X`` names the delimiter (and is
    skipped), else the header line's most used delimiter. Bounded in rows, cells per row
    and cell length; blank records are yielded but do not count as rows."""
    first = next(lines, None)
    skipped = 0
    named = _EXCEL_SEPARATOR.fullmatch(first.strip(" \r\n")) if first else None
    if named is not None:
        skipped, first = 1, next(lines, None)
    if first is None:
        return
    delimiter = named.group(1) if named else detect_delimiter(first)
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
    max_rows, max_columns, max_cell = ROWS.value(), COLUMNS.value(), CELL_CHARS.value()
    rows = 0
    previous_line = skipped
    while True:
        line = previous_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise MalformedCsv(str(exc), Location(source, line), kind) from None
        previous_line = reader.line_num + skipped
        record = Record(line, cells)
        if record.blank:
            yield record
            continue
        rows += 1
        if rows > max_rows + 1:  # the header is not a row
            raise LimitExceeded(ROWS, Location(source, line))
        if len(cells) > max_columns:
            raise LimitExceeded(COLUMNS, Location(source, line), f"{len(cells):,} cells")
        for index, cell in enumerate(cells):
            if len(cell) > max_cell:
                raise LimitExceeded(
                    CELL_CHARS, Location(source, line, index + 1), f"{len(cell):,} characters"
                )
        yield record


# --- tables with a header ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table: its canonical name, the other spellings accepted for it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a table, keyed by canonical column names."""

    path: Path
    line: int
    values: Mapping[str, str]
    positions: Mapping[str, int]
    """Column number (from 1) of each canonical column in the file."""

    def get(self, name: str) -> str:
        """The cell of column ``name`` without surrounding white space ("" if absent)."""
        return self.values.get(name, "").strip()

    def error(self, name: str, message: str, hint: str = "") -> UserInputError:
        """A user error at this row and column ``name``."""
        return UserInputError(
            message, Location(str(self.path), self.line, self.positions.get(name), name), hint
        )


def _header(
    record: Record, path: Path, aliases: Aliases[Column], columns: Sequence[Column]
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, label in enumerate(record.cells):
        column = aliases.resolve(label)
        if column is None:
            continue
        first = positions.get(column.name)
        if first is not None:
            raise UserInputError(
                f"column {excerpt(label.strip())} repeats column "
                f"{excerpt(record.cells[first].strip())} (column {first + 1}), both mean "
                f"{column.name!r}",
                Location(str(path), record.line, index + 1),
                "keep only one of them",
            )
        positions[column.name] = index
    for column in columns:
        if column.required and column.name not in positions:
            accepted = ", ".join((column.name, *column.aliases))
            raise UserInputError(
                f"missing column {column.name!r} (accepted headers: {accepted})",
                Location(str(path), record.line),
            )
    return positions


def _check_row(record: Record, path: Path, width: int, labels: Sequence[str]) -> None:
    if len(record.cells) != width:
        column = min(len(record.cells), width) + 1
        raise UserInputError(
            f"row has {len(record.cells)} fields but the header has {width} columns",
            Location(str(path), record.line, column),
            "give every row one value per header column; leave unknown values empty"
            if len(record.cells) < width
            else "a value probably contains the delimiter; put it in double quotes",
        )
    for index, cell in enumerate(record.cells):
        found = control_character(cell)
        if found is not None:
            label = labels[index].strip() or None
            raise UserInputError(
                f"contains {found[1]}",
                Location(str(path), record.line, index + 1, label),
                CONTROL_HINT,
            )


def read_table(
    path: Path,
    columns: Sequence[Column],
    *,
    key: Callable[[str], str] = loose_header_key,
    what: str = "a CSV file",
) -> Iterator[Row]:
    """Data rows of a delimited file with a header line, keyed by canonical column name.

    All checks of the module docstring apply; the first problem raises ``UserInputError``.
    """
    aliases = Aliases(columns, key)
    source = str(path)
    with open_file(path, what) as raw:
        rows = (r for r in records(text_lines(raw, source), source, what) if not r.blank)
        header = next(rows, None)
        if header is None:
            raise UserInputError("the file is empty (no header line)", Location(source, 1))
        positions = _header(header, path, aliases, columns)
        width = len(header.cells)
        numbers = {name: index + 1 for name, index in positions.items()}
        for record in rows:
            _check_row(record, path, width, header.cells)
            yield Row(
                path,
                record.line,
                {name: record.cells[index] for name, index in positions.items()},
                numbers,
            )
