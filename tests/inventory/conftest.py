"""Fixtures for the inventory importers: a real catalog and files written in tmp_path."""

from __future__ import annotations

import datetime as dt

import pytest

from imagewarden.catalog import Catalog
from imagewarden.inventory import ImportContext

OBSERVED_AT = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def context(catalog: Catalog) -> ImportContext:
    return ImportContext(catalog=catalog, observed_at=OBSERVED_AT)
