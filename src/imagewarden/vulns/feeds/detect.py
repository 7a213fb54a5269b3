"""Which feed a file is: decided from its first keys, without reading the whole file."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import ijson

from imagewarden.model import Location, UserInputError
from imagewarden.vulns.feeds.source import open_binary
from imagewarden.vulns.interface import FeedKind

_PEEK_EVENTS = 20_000
NOT_A_FEED = (
    "not a recognised feed (NVD CVE API 2.0 JSON, CISA KEV JSON, CSAF 2.0 JSON or FIRST EPSS CSV)"
)


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
    with open_binary(path) as handle:
        for number, raw in enumerate(handle):
            if number > 200:
                break
            line = raw.decode("utf-8", "replace").strip().lower()
            if not line or line.startswith("#"):
                continue
            columns = {c.strip() for c in line.split(",")}
            return Detected(FeedKind.EPSS) if {"cve", "epss"} <= columns else None
    return None


def detect_kind(path: Path) -> Detected | None:
    """The feed a file holds, from its first keys or header; None when it is not one."""
    with open_binary(path) as handle:
        head = handle.read(1)
        while head in (b" ", b"\n", b"\r", b"\t", b"\xef", b"\xbb", b"\xbf"):
            head = handle.read(1)
    if head not in (b"{", b"["):
        return _csv_kind(path)
    keys: list[str] = []
    catalog_version = ""
    with open_binary(path) as handle:
        try:
            events = ijson.parse(handle)
            for prefix, event, value in itertools.islice(events, _PEEK_EVENTS):
                if event == "map_key" and prefix == "":
                    keys.append(str(value))
                    if value == "document":
                        return Detected(FeedKind.CSAF)
                elif prefix == "catalogVersion" and event == "string":
                    catalog_version = str(value)
                elif event == "map_key" and prefix == "vulnerabilities.item":
                    if value in ("cveID", "vendorProject", "dateAdded"):
                        return Detected(FeedKind.KEV, catalog_version=catalog_version)
                    if value == "cve":
                        return Detected(FeedKind.NVD)
                if keys and keys[0] == "id" and "descriptions" in keys:
                    return Detected(FeedKind.NVD, single_record=True)
                if prefix == "" and event == "end_map":
                    break
        except ijson.JSONError as exc:
            raise UserInputError(f"invalid or truncated JSON: {exc}", Location(str(path))) from None
    if "id" in keys and ("published" in keys or "descriptions" in keys):
        return Detected(FeedKind.NVD, single_record=True)
    return None


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
                and p.suffix.lower() in (".json", ".csv", ".gz")
                and not p.name.endswith("_schema.json")
            )
        elif path.is_file():
            files.append((path, True))
        else:
            raise UserInputError("no such file or folder", Location(str(path)))
    return files
