"""Bulk work on many rows (a feed import, an assessment): the garbage collector kept out."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


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
