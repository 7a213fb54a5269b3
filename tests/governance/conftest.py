"""Fixtures of the governance tests: a store with a two-site inventory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import asset, inventory

from imagewarden.app import open_store
from imagewarden.store import Store

DATA = Path(__file__).parent / "data"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    with open_store(sqlite_url, create=True) as s:
        s.save_inventory(inventory(asset("CT-1", "north"), asset("MR-1", "south")))
        yield s
