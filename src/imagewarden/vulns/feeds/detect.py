"""Which feed a file is: decided from its first keys or its header, without reading it all.

JSON is peeked at through the bounded event stream (no prefix strings, nesting limited), so a
hostile file nested a million levels deep is refused after a few kilobytes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from imagewarden.model import Location, UserInputError
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.json import bounded_events
from imagewarden.readers.text import bounded_lines
from imagewarden.vulns.interface import FeedKind

_PEEK_EVENTS = 20_000
_PEEK_LINES = 200
NOT_A_FEED = (
    "not a recognised feed (NVD CVE API 2.0 JSON, CISA KEV JSON, CSAF 2.0 JSON or FIRST EPSS CSV)"
)
FEED_SUFFIXES = (".json", ".csv", ".gz")
"""Files a folder given to ``feeds import`` is searched for."""


@dataclass(frozen=True, slots=True)
class Detected:
    """What a feed file is."""

    kind: FeedKind
    single_record: bool = False
    """An NVD file holding one CVE record (not a ``vulnerabilities`` list)."""
    catalog_version: str = ""
    """The KEV catalog's version."""


def _csv_kind(path: Path) -> Detected | None:
    """EPSS when the first row that is not a comment has cve and epss columns."""
    with open_maybe_gzip(path) as handle:
        for number, line in bounded_lines(handle, str(path)):
            if number > _PEEK_LINES:
                break
            text = line.strip().lower()
            if not text or text.startswith("#"):
                continue
            columns = {c.strip() for c in text.split(",")}
            return Detected(FeedKind.EPSS) if {"cve", "epss"} <= columns else None
    return None


def _first_byte(path: Path) -> bytes:
    with open_maybe_gzip(path) as handle:
        head = handle.read(1)
        while head in (b" ", b"\n", b"\r", b"\t", b"\xef", b"\xbb", b"\xbf"):
            head = handle.read(1)
    return head


def _json_kind(path: Path) -> Detected | None:
    keys: list[str] = []
    catalog_version = ""
    depth = 0
    top_key = ""
    item_key_depth = 0  # depth of the objects in the top-level "vulnerabilities" list
    with open_maybe_gzip(path) as handle:
        events = bounded_events(handle, str(path))
        for event, value in itertools.islice(events, _PEEK_EVENTS):
            if event in ("start_map", "start_array"):
                depth += 1
                if depth == 2 and top_key == "vulnerabilities" and event == "start_array":
                    item_key_depth = 3
                continue
            if event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
                continue
            if event == "map_key" and depth == 1:
                top_key = str(value)
                keys.append(top_key)
                if top_key == "document":
                    return Detected(FeedKind.CSAF)
            elif depth == 1 and top_key == "catalogVersion" and event == "string":
                catalog_version = str(value)
            elif event == "map_key" and item_key_depth and depth == item_key_depth:
                if value in ("cveID", "vendorProject", "dateAdded"):
                    return Detected(FeedKind.KEV, catalog_version=catalog_version)
                if value == "cve":
                    return Detected(FeedKind.NVD)
            if keys and keys[0] == "id" and "descriptions" in keys:
                return Detected(FeedKind.NVD, single_record=True)
    if "id" in keys and ("published" in keys or "descriptions" in keys):
        return Detected(FeedKind.NVD, single_record=True)
    return None


def detect_kind(path: Path) -> Detected | None:
    """The feed a file holds, from its first keys or header; None when it is not one.

    Malformed JSON, nesting over the limit, a truncated gzip stream or an over-long line
    raise ``UserInputError`` naming the file.
    """
    if _first_byte(path) in (b"{", b"["):
        return _json_kind(path)
    return _csv_kind(path)


def feed_files(paths: list[Path]) -> list[tuple[Path, bool]]:
    """(file, named) pairs to import: folders recurse, sorted so imports are repeatable.

    ``named`` is False for files found in a folder: those may be skipped when they are not a
    feed (READMEs, schemas, index CSVs), while a file named on the command line must be one.
    """
    files: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                (p, False)
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in FEED_SUFFIXES
                and not p.name.endswith("_schema.json")
            )
        elif path.is_file():
            files.append((path, True))
        else:
            raise UserInputError("no such file or folder", Location(str(path)))
    return files
