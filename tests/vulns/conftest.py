"""Fixtures of the vulnerability tests: the shared public data and a store with feeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.store import Store
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.store.repository import VulnRepository

# The repository sits in <root>/main and the shared data in <root>/shared (CI has the same).
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "nvd").is_dir():
        pytest.fail(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    with open_store(sqlite_url, create=True) as opened:
        yield opened


@pytest.fixture
def fed_store(store: Store, catalog: Catalog, shared: Path) -> Store:
    """A store holding every shared NVD record, CSAF advisory, the KEV catalog and EPSS."""
    FeedImporter(VulnRepository(store), catalog, "tester").import_paths([shared])
    return store
