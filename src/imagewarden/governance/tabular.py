"""Reading CSV files with column aliases and errors that name the file, line and column.

Shared by the answer, training and GoPhish importers: each declares its columns (a canonical
name and the header spellings accepted for it), and gets rows keyed by canonical name.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from imagewarden.model import Location, UserInputError

MAX_ROWS = 1_000_000  # a bound on any one import; a larger file is refused, not truncated


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    path: Path
    line: int
    values: Mapping[str, str]
    positions: Mapping[str, int]
    """Column number (from 1) of each canonical column in the file."""

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def error(self, name: str, message: str) -> UserInputError:
        return UserInputError(
            message, Location(str(self.path), self.line, self.positions.get(name), name)
        )


def _normal(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def read_rows(path: Path, columns: Sequence[Column]) -> Iterator[Row]:
    """Rows of a CSV file with a header line; unknown columns are ignored (and never stored)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UserInputError(f"cannot read file: {exc.strerror}", Location(str(path))) from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise UserInputError("the file is empty", Location(str(path), 1)) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise UserInputError(
                f"not a readable CSV file: {exc}", Location(str(path), 1)
            ) from None
        lookup = {_normal(c.name): c.name for c in columns}
        for column in columns:
            for alias in column.aliases:
                lookup[_normal(alias)] = column.name
        positions: dict[str, int] = {}
        for index, raw in enumerate(header):
            name = lookup.get(_normal(raw))
            if name is not None and name not in positions:
                positions[name] = index
        for column in columns:
            if column.required and column.name not in positions:
                accepted = ", ".join((column.name, *column.aliases))
                raise UserInputError(
                    f"missing column {column.name!r} (accepted headers: {accepted})",
                    Location(str(path), 1),
                )
        count = 0
        try:
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                count += 1
                if count > MAX_ROWS:
                    raise UserInputError(
                        f"more than {MAX_ROWS} rows", Location(str(path), reader.line_num)
                    )
                if len(cells) > len(header):
                    raise UserInputError(
                        f"{len(cells)} cells but the header has {len(header)}",
                        Location(str(path), reader.line_num),
                    )
                values = {
                    name: cells[index] if index < len(cells) else ""
                    for name, index in positions.items()
                }
                yield Row(
                    path,
                    reader.line_num,
                    values,
                    {name: index + 1 for name, index in positions.items()},
                )
        except (csv.Error, UnicodeDecodeError) as exc:
            raise UserInputError(
                f"not a readable CSV file: {exc}", Location(str(path), reader.line_num)
            ) from None


def parse_date(row: Row, name: str, *, required: bool = False) -> dt.date | None:
    """An ISO date (YYYY-MM-DD); a timestamp's date part is accepted too."""
    text = row.get(name)
    if not text:
        if required:
            raise row.error(name, "a date is required (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise row.error(name, f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_timestamp(text: str) -> dt.datetime | None:
    """An RFC 3339 timestamp as Go writes it (nanoseconds, Z); Go's zero time means none."""
    text = text.strip()
    if not text or text.startswith("0001-01-01"):
        return None
    dot = text.find(".", 19)
    if dot != -1:  # Python reads at most 6 fraction digits; Go writes up to 9
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: min(end, dot + 7)] + text[end:]
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
