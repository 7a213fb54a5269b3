"""Bulk work on many rows (a feed import, an inventory import, an assessment): rows written
a batch at a time, and the garbage collector kept out."""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table, insert
from sqlalchemy.orm import Session

from imagewarden.store.schema import Base

T = TypeVar("T")
WRITE_BATCH = 5000
"""Rows per bulk statement: large enough to amortise a statement, small enough that its
parameters stay small (one statement for the 870,000 observations of a 50,000-asset import
held more than a gigabyte)."""


def batches(rows: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """``rows`` in consecutive lists of at most ``size`` (default ``WRITE_BATCH``), taken
    from the iterable as needed."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size or WRITE_BATCH)):
        yield batch


def insert_rows(
    executor: Session | Connection, row_class: type[Base], rows: Iterable[Mapping[str, Any]]
) -> int:
    """Insert ``rows`` (column name to value) into ``row_class``'s table, a batch at a time,
    in the executor's transaction; the rows are made as each batch needs them. Returns how
    many. The table's own insert: no per-row work of the ORM's bulk path."""
    statement = insert(cast(Table, row_class.__table__))
    written = 0
    for batch in batches(rows):
        executor.execute(statement, batch)
        written += len(batch)
    return written


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block; the collector's state is restored.

    Bulk work allocates millions of short-lived objects without cycles (decoded records, row
    tuples, fact dicts): each would count towards a collection that scans everything alive,
    for nothing. ``gc.freeze`` also keeps the objects alive before the block out of any
    collection that runs anyway. Cycles made meanwhile are collected after the block.
    """
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
