"""``feeds import``: detect each file's feed, stream it, write it all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.model import UserInputError
from imagewarden.vulns.feeds.csaf import read_csaf
from imagewarden.vulns.feeds.detect import detect_kind, feed_files
from imagewarden.vulns.feeds.epss import read_epss
from imagewarden.vulns.feeds.kev import read_kev
from imagewarden.vulns.feeds.nvd import read_nvd
from imagewarden.vulns.interface import FeedItem, ProductMention
from imagewarden.vulns.names import PhraseIndex, description_mentions
from imagewarden.vulns.repository import FileImport, VulnStore

_NOTHING = "nothing from this file was imported"


class FeedImporter:
    def __init__(self, store: VulnStore, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog
        self._phrases = PhraseIndex.build(catalog.products)

    def _mentions(self, description: str) -> tuple[ProductMention, ...]:
        return description_mentions(self._phrases, description)

    def _items(self, kind: str, detail: str, path: Path) -> Iterator[FeedItem]:
        if kind in ("nvd", "nvd-record"):
            return read_nvd(path, single=kind == "nvd-record", mention=self._mentions)
        if kind == "kev":
            return read_kev(path, detail)
        if kind == "epss":
            return read_epss(path)
        return read_csaf(path, self.catalog.products)

    def import_file(self, path: Path, now: dt.datetime) -> FileImport:
        kind, detail = detect_kind(path)
        if kind == "unknown":
            raise UserInputError(
                "not a recognised feed (NVD CVE API 2.0 JSON, CISA KEV JSON, CSAF 2.0 JSON or "
                "FIRST EPSS CSV)",
                hint=str(path),
            )
        try:
            return self.store.import_items(
                kind.removesuffix("-record"), str(path), self._items(kind, detail, path), now
            )
        except UserInputError as exc:
            if _NOTHING not in exc.message:
                exc.message = f"{exc.message}; {_NOTHING}"
            raise

    def import_paths(self, paths: list[Path], now: dt.datetime | None = None) -> list[FileImport]:
        """Import every feed file; each file is one transaction. Stops at the first bad file."""
        now = now or dt.datetime.now(dt.UTC)
        results = []
        for path, named in feed_files(paths):
            if not named and detect_kind(path)[0] == "unknown":
                continue  # a README table or index CSV next to the feed files
            results.append(self.import_file(path, now))
        return results
