"""Splitting long id lists for IN (...) clauses, and fetching long results in batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Select

T = TypeVar("T")
CHUNK = 500
"""Stays below SQLite's bound-parameter limit in IN (...) lists."""
FETCH = 10000
"""Rows fetched at a time by large reads (``Result.yield_per``): the driver's one-row fetch
costs more than the row itself."""


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def driver_rows(connection: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query`` as the driver returns them, ``FETCH`` at a time.

    For large reads of plain text and number columns, without bound parameters: no per-row
    work of the database layer (whose result processing would cost more than the row).
    Columns whose type converts values (dates, JSON) are read with ``connection.execute``.
    """
    statement = query.compile(dialect=connection.dialect)
    if statement.params:
        raise ValueError("driver_rows reads whole tables: a query without parameters")
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(statement))
        while rows := cursor.fetchmany(FETCH):
            yield from rows
    finally:
        cursor.close()
