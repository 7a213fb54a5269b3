"""CISA Known Exploited Vulnerabilities catalog (JSON)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from imagewarden.model import UserInputError
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.json import stream_items
from imagewarden.readers.limits import LimitExceeded
from imagewarden.vulns.feeds.source import excerpt, record_error
from imagewarden.vulns.interface import KevEntry

_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _entry(raw: Any, catalog_version: str) -> KevEntry:
    if not isinstance(raw, Mapping):
        raise ValueError("entry is not an object")
    cve = raw.get("cveID")
    if not isinstance(cve, str) or not _CVE_ID.match(cve):
        raise ValueError(f"'cveID' {excerpt(cve, 40)} is not a CVE id")
    for key in ("dateAdded", "dueDate"):
        value = raw.get(key)
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError(f"{key!r} is not a YYYY-MM-DD date")
    return KevEntry(
        cve=cve,
        vendor=str(raw.get("vendorProject", "")),
        product=str(raw.get("product", "")),
        name=str(raw.get("vulnerabilityName", ""))[:300],
        date_added=raw["dateAdded"],
        due_date=raw["dueDate"],
        ransomware=str(raw.get("knownRansomwareCampaignUse", "")).lower() == "known",
        catalog_version=catalog_version,
    )


def read_kev(path: Path, catalog_version: str) -> Iterator[KevEntry]:
    """Every entry of a CISA KEV JSON catalog, streamed."""
    number = 0
    with open_maybe_gzip(path) as handle:
        try:
            for raw in stream_items(handle, str(path), "vulnerabilities"):
                number += 1
                try:
                    yield _entry(raw, catalog_version)
                except ValueError as exc:
                    cve = str(raw.get("cveID", "")) if isinstance(raw, Mapping) else ""
                    raise record_error(path, number, cve, str(exc)) from None
        except LimitExceeded:
            raise
        except UserInputError as exc:
            if exc.message.startswith("record "):
                raise
            problem = f"invalid or truncated JSON: {exc.message}"
            raise record_error(path, number + 1, "", problem) from None
