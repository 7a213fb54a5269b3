"""``feeds import``: detect each file's feed, stream it, write it all or nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.model import Location, UserInputError
from imagewarden.readers.child import read_in_child
from imagewarden.store.bulk import no_cyclic_gc
from imagewarden.vulns.feeds.csaf import read_csaf
from imagewarden.vulns.feeds.detect import NOT_A_FEED, Detected, detect_kind, feed_files
from imagewarden.vulns.feeds.epss import read_epss
from imagewarden.vulns.feeds.kev import read_kev
from imagewarden.vulns.feeds.nvd import read_nvd
from imagewarden.vulns.interface import FeedItem, FeedKind
from imagewarden.vulns.names import PhraseIndex
from imagewarden.vulns.rows import items_of, read_batches
from imagewarden.vulns.store.repository import FileImport, VulnRepository

log = logging.getLogger(__name__)

_NOTHING = "nothing from this file was imported"
IN_CHILD_BYTES = 8 * 1024 * 1024
"""A feed file this large is read in a child process while this one writes its rows: the
two halves of an import overlap on two cores. Smaller files are not worth starting it."""


class FeedImporter:
    """Imports feed files into one store, each file in one audited transaction."""

    def __init__(self, repository: VulnRepository, catalog: Catalog, actor: str) -> None:
        self.repository = repository
        self.catalog = catalog
        self.actor = actor
        self._phrases = PhraseIndex.build(catalog.products)

    def _reader(self, detected: Detected, path: Path) -> Callable[[], Iterable[FeedItem]]:
        """The file's reader, as a call that pickles (for a child process)."""
        if detected.kind is FeedKind.NVD:
            single = detected.single_record
            return functools.partial(read_nvd, path, single=single, phrases=self._phrases)
        if detected.kind is FeedKind.KEV:
            return functools.partial(read_kev, path, detected.catalog_version)
        if detected.kind is FeedKind.EPSS:
            return functools.partial(read_epss, path)
        return functools.partial(read_csaf, path, self.catalog.products)

    @contextlib.contextmanager
    def _reading(self, detected: Detected, path: Path) -> Iterator[Iterable[FeedItem]]:
        """The file's items; a large file is read in a child process meanwhile."""
        read = self._reader(detected, path)
        try:
            large = path.stat().st_size >= IN_CHILD_BYTES
        except OSError:
            large = False  # the reader names the problem
        if not large:
            yield read()
            return
        messages = read_in_child(functools.partial(read_batches, read))
        try:
            yield items_of(messages)
        finally:
            messages.close()  # the child is ended before the transaction's outcome is known

    def import_file(self, path: Path, now: dt.datetime) -> FileImport:
        """Import one feed file (its kind detected from its content), all or nothing."""
        detected = detect_kind(path)
        if detected is None:
            raise UserInputError(NOT_A_FEED, Location(str(path)))
        return self._import(path, detected, now)

    def _import(self, path: Path, detected: Detected, now: dt.datetime) -> FileImport:
        log.info("importing %s as %s", path, detected.kind.value)
        try:
            with no_cyclic_gc(), self._reading(detected, path) as items:
                result = self.repository.import_feed(
                    self.actor, detected.kind, str(path), items, now
                )
        except UserInputError as exc:
            if _NOTHING not in exc.message:
                exc.message = f"{exc.message}; {_NOTHING}"
            log.info("refused %s: %s", path, exc.message)
            raise
        log.info(
            "imported %s: %s, %d records written, %d unchanged",
            path,
            result.kind.value,
            result.records,
            result.skipped,
        )
        return result

    def import_paths(
        self, paths: Sequence[Path], now: dt.datetime | None = None
    ) -> list[FileImport]:
        """Import every feed file; each file is one transaction. Stops at the first bad file.

        Files found in a folder that are not a feed (a README table, an index CSV) are
        skipped; a file named directly must be a feed.
        """
        now = now or dt.datetime.now(dt.UTC)
        results = []
        for path, named in feed_files(list(paths)):
            detected = detect_kind(path)
            if detected is None:
                if named:
                    raise UserInputError(NOT_A_FEED, Location(str(path)))
                log.info("skipped %s: not a feed file", path)
                continue
            results.append(self._import(path, detected, now))
        return results
