"""The demo's curated feed subset (see demo/feeds/README.md), imported into a store."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.store import Store
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.repository import FileImport, VulnStore


def demo_feed_folder() -> Path:
    return Path(str(resources.files("imagewarden.demo") / "feeds"))


def import_demo_feeds(
    store: Store, catalog: Catalog, now: dt.datetime | None = None
) -> list[FileImport]:
    importer = FeedImporter(VulnStore(store.engine), catalog)
    return importer.import_paths([demo_feed_folder()], now)
