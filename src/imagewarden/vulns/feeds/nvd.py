"""NVD CVE API 2.0 JSON: API responses, yearly/recent feed files and one-record files.

Large files are streamed with ijson, one ``vulnerabilities`` item at a time, so memory does
not grow with the feed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from imagewarden.model import UserInputError
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.json import stream_items
from imagewarden.readers.limits import LimitExceeded
from imagewarden.vulns.cpe import parse_cpe
from imagewarden.vulns.feeds.source import excerpt, record_error
from imagewarden.vulns.interface import CpeMatch, CveRecord, ProductMention

_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
# Newest CVSS first: v3.1 and v3.0 are what NVD analyses; v4.0 and v2 fill gaps.
_METRICS = ("cvssMetricV31", "cvssMetricV30", "cvssMetricV40", "cvssMetricV2")
_RANGE_KEYS = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
)

Mentioner = Callable[[str], tuple[ProductMention, ...]]


class RecordProblem(ValueError):
    """A record that does not have the NVD 2.0 shape."""


def _text(record: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise RecordProblem(f"field {key!r} is missing or not text")
    return value


def _cvss(metrics: Any) -> tuple[str, float | None, str, str]:
    if not isinstance(metrics, Mapping):
        return "", None, "", ""
    for key in _METRICS:
        entries = metrics.get(key)
        if not isinstance(entries, list) or not entries:
            continue
        primary = [e for e in entries if isinstance(e, Mapping) and e.get("type") == "Primary"]
        entry = (primary or entries)[0]
        data = entry.get("cvssData") if isinstance(entry, Mapping) else None
        if not isinstance(data, Mapping):
            raise RecordProblem(f"{key} entry has no cvssData")
        score = data.get("baseScore")
        if not isinstance(score, int | float | Decimal):
            raise RecordProblem(f"{key} baseScore is not a number")
        severity = data.get("baseSeverity") or entry.get("baseSeverity") or ""
        return (
            str(data.get("version", "")),
            float(score),
            str(severity).lower(),
            str(data.get("vectorString", "")),
        )
    return "", None, "", ""


def _matches(configurations: Any) -> tuple[CpeMatch, ...]:
    if configurations is None:
        return ()
    if not isinstance(configurations, list):
        raise RecordProblem("'configurations' is not a list")
    found: list[CpeMatch] = []
    for c_index, config in enumerate(configurations):
        if not isinstance(config, Mapping) or not isinstance(config.get("nodes"), list):
            raise RecordProblem(f"configuration {c_index + 1} has no 'nodes' list")
        operator = str(config.get("operator", "OR")).upper()
        for n_index, node in enumerate(config["nodes"]):
            if not isinstance(node, Mapping) or not isinstance(node.get("cpeMatch"), list):
                raise RecordProblem(f"configuration {c_index + 1} node {n_index + 1}: no cpeMatch")
            if node.get("negate") is True:
                continue  # "everything but" nodes are rare and never name imaging products
            for entry in node["cpeMatch"]:
                if not isinstance(entry, Mapping):
                    raise RecordProblem("cpeMatch entry is not an object")
                try:
                    cpe = parse_cpe(_text(entry, "criteria"))
                except ValueError as exc:
                    raise RecordProblem(str(exc)) from None
                ranges = [str(entry.get(k) or "") for k in _RANGE_KEYS]
                found.append(
                    CpeMatch(
                        config=c_index,
                        node=n_index,
                        operator=operator,
                        vulnerable=entry.get("vulnerable") is True,
                        part=cpe.part,
                        vendor=cpe.vendor,
                        product=cpe.product,
                        version=cpe.version,
                        update=cpe.update,
                        start_including=ranges[0],
                        start_excluding=ranges[1],
                        end_including=ranges[2],
                        end_excluding=ranges[3],
                    )
                )
    return tuple(found)


def parse_record(record: Any, mention: Mentioner | None = None) -> CveRecord:
    """One NVD 2.0 CVE object as a record; raises RecordProblem when it is malformed."""
    if not isinstance(record, Mapping):
        raise RecordProblem("record is not an object")
    if "cve" in record and isinstance(record["cve"], Mapping):
        record = record["cve"]
    cve = _text(record, "id")
    if not _CVE_ID.match(cve):
        raise RecordProblem(f"'id' {excerpt(cve, 40)} is not a CVE id")
    descriptions = record.get("descriptions") or []
    if not isinstance(descriptions, list):
        raise RecordProblem("'descriptions' is not a list")
    english = [
        d.get("value", "")
        for d in descriptions
        if isinstance(d, Mapping) and d.get("lang") in ("en", "en-US")
    ]
    description = str(english[0] if english else "").strip()
    matches = _matches(record.get("configurations"))
    version, score, severity, vector = _cvss(record.get("metrics"))
    mentions = mention(description) if mention is not None and not matches else ()
    return CveRecord(
        cve=cve,
        published=_text(record, "published"),
        last_modified=_text(record, "lastModified"),
        status=_text(record, "vulnStatus", required=False),
        description=description[:4000],
        cvss_version=version,
        cvss_score=score,
        cvss_severity=severity,
        cvss_vector=vector,
        matches=matches,
        mentions=mentions,
    )


def _record_id(raw: Any) -> str:
    if isinstance(raw, Mapping):
        inner = raw.get("cve", raw)
        if isinstance(inner, Mapping):
            return str(inner.get("id", ""))
    return ""


def read_nvd(path: Path, *, single: bool, mention: Mentioner | None = None) -> Iterator[CveRecord]:
    """Every CVE record in the file; raises UserInputError naming the file and record."""
    number = 0
    last = ""
    with open_maybe_gzip(path) as handle:
        items = stream_items(handle, str(path), None if single else "vulnerabilities")
        try:
            for raw in items:
                number += 1
                last = _record_id(raw)
                try:
                    yield parse_record(raw, mention)
                except RecordProblem as exc:
                    raise record_error(path, number, last, str(exc)) from None
        except LimitExceeded:
            raise
        except UserInputError as exc:
            if exc.message.startswith("record "):
                raise
            after = f" after record {number} ({excerpt(last, 40)})" if number else ""
            problem = f"invalid or truncated JSON{after}: {exc.message}"
            raise record_error(path, number + 1, "", problem) from None
