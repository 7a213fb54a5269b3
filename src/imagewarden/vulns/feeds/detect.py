"""Which feed a file is: decided from its first keys, without reading the whole file."""

from __future__ import annotations

import itertools
from pathlib import Path

import ijson

from imagewarden.model import Location, UserInputError
from imagewarden.vulns.feeds.source import open_binary

_PEEK_EVENTS = 20_000


def _csv_kind(path: Path) -> str:
    """'epss' when the first row that is not a comment has cve and epss columns."""
    with open_binary(path) as handle:
        for number, raw in enumerate(handle):
            if number > 200:
                break
            line = raw.decode("utf-8", "replace").strip().lower()
            if not line or line.startswith("#"):
                continue
            columns = {c.strip() for c in line.split(",")}
            return "epss" if {"cve", "epss"} <= columns else "unknown"
    return "unknown"


def detect_kind(path: Path) -> tuple[str, str]:
    """('nvd' | 'nvd-record' | 'kev' | 'csaf' | 'epss', detail).

    detail is the KEV catalogVersion (empty for other kinds).
    """
    with open_binary(path) as handle:
        head = handle.read(1)
        while head in (b" ", b"\n", b"\r", b"\t", b"\xef", b"\xbb", b"\xbf"):
            head = handle.read(1)
    if head not in (b"{", b"["):
        return _csv_kind(path), ""
    keys: list[str] = []
    catalog_version = ""
    with open_binary(path) as handle:
        try:
            events = ijson.parse(handle)
            for prefix, event, value in itertools.islice(events, _PEEK_EVENTS):
                if event == "map_key" and prefix == "":
                    keys.append(str(value))
                    if value == "document":
                        return "csaf", ""
                elif prefix == "catalogVersion" and event == "string":
                    catalog_version = str(value)
                elif event == "map_key" and prefix == "vulnerabilities.item":
                    if value in ("cveID", "vendorProject", "dateAdded"):
                        return "kev", catalog_version
                    if value == "cve":
                        return "nvd", ""
                if keys and keys[0] == "id" and "descriptions" in keys:
                    return "nvd-record", ""
                if prefix == "" and event == "end_map":
                    break
        except ijson.JSONError as exc:
            raise UserInputError(f"invalid or truncated JSON: {exc}", Location(str(path))) from None
    if "id" in keys and ("published" in keys or "descriptions" in keys):
        return "nvd-record", ""
    raise UserInputError(
        "not a recognised feed (NVD CVE API 2.0 JSON, CISA KEV JSON, CSAF 2.0 JSON or "
        "FIRST EPSS CSV)",
        Location(str(path)),
    )


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
