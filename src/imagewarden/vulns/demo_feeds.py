"""The demo's curated feed subset (see demo/feeds/README.md), imported into a store."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.store import Store
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.store.repository import FileImport, VulnRepository


def demo_feed_folder() -> Path:
    """Where the demo's feed files are installed."""
    return Path(str(resources.files("imagewarden.demo") / "feeds"))


def import_demo_feeds(
    store: Store, catalog: Catalog, now: dt.datetime | None = None, *, actor: str = "demo"
) -> list[FileImport]:
    """Import the demo's feed files (each one audited as done by ``actor``)."""
    importer = FeedImporter(VulnRepository(store), catalog, actor)
    return importer.import_paths([demo_feed_folder()], now)
