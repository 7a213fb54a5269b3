"""NVD CVE API 2.0 JSON: API responses, yearly/recent feed files and one-record files.

Large files are read a few MiB at a time: msgspec decodes and type-checks whole chunks of
``vulnerabilities`` items into the structs below (``FastArray``), about ten times faster
than building dicts. Whatever that path does not take (an unusual header, a record that is
malformed or shaped differently) goes to the exact path: ijson streams one item at a time
and ``parse_record`` checks it and names the problem. Both give the same records; memory
does not grow with the feed on either.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import msgspec

from imagewarden.model import UserInputError
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.json import FastArray, stream_items
from imagewarden.readers.limits import LimitExceeded
from imagewarden.vulns.cpe import Cpe, parse_cpe
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
_CPE_PREFIX = "cpe:2.3:"
_CPE_PARTS = frozenset(("a", "o", "h", "*"))


@functools.lru_cache(maxsize=1 << 16)
def _parse_cpe(text: str) -> Cpe:
    """``parse_cpe``, faster: most names have no escapes, so a plain split is the same split.

    Names recur across thousands of records (a cache), and a feed holds hundreds of
    thousands of them. Anything unusual is left to ``parse_cpe`` (and its error message).
    """
    if "\\" not in text and text.startswith(_CPE_PREFIX):
        fields = text[8:].lower().split(":")
        if len(fields) == 11 and fields[0] in _CPE_PARTS:
            return Cpe(fields[0], fields[1], fields[2], fields[3], fields[4])
    return parse_cpe(text)


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
                    cpe = _parse_cpe(_text(entry, "criteria"))
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


# --- the fast path: msgspec structs of what a record's checks read ----------------------
# Types are as strict as ``parse_record`` or stricter: a record these refuse, or that
# ``_fast_record`` cannot turn into exactly what ``parse_record`` would, goes to the exact
# path, which accepts it or names its problem. The structs hold no cycles (gc=False: the
# collector never tracks them).


class _NotFast(Exception):
    """The record needs the exact path."""


class _CvssData(msgspec.Struct, gc=False):
    baseScore: float
    version: str = ""
    baseSeverity: str | None = None
    vectorString: str = ""


class _Metric(msgspec.Struct, gc=False):
    cvssData: _CvssData | None = None
    type: str | None = None
    baseSeverity: str | None = None


class _Metrics(msgspec.Struct, gc=False):
    cvssMetricV31: list[_Metric] | None = None
    cvssMetricV30: list[_Metric] | None = None
    cvssMetricV40: list[_Metric] | None = None
    cvssMetricV2: list[_Metric] | None = None


class _Match(msgspec.Struct, gc=False):
    criteria: str
    vulnerable: bool | None = None
    versionStartIncluding: str | None = None
    versionStartExcluding: str | None = None
    versionEndIncluding: str | None = None
    versionEndExcluding: str | None = None


class _Node(msgspec.Struct, gc=False):
    cpeMatch: list[_Match]
    negate: bool | None = None


class _Config(msgspec.Struct, gc=False):
    nodes: list[_Node]
    operator: str = "OR"


class _Description(msgspec.Struct, gc=False):
    lang: str | None = None
    value: str = ""


class _Cve(msgspec.Struct, gc=False):
    id: str
    published: str
    lastModified: str
    vulnStatus: str | None = None
    descriptions: list[_Description] | None = None
    configurations: list[_Config] | None = None
    metrics: _Metrics | None = None


class _Item(msgspec.Struct, gc=False):
    cve: _Cve


_DECODER = msgspec.json.Decoder(list[_Item])


def _fast_cvss(metrics: _Metrics | None) -> tuple[str, float | None, str, str]:
    if metrics is None:
        return "", None, "", ""
    for entries in (
        metrics.cvssMetricV31,
        metrics.cvssMetricV30,
        metrics.cvssMetricV40,
        metrics.cvssMetricV2,
    ):
        if not entries:
            continue
        primary = [e for e in entries if e.type == "Primary"]
        entry = (primary or entries)[0]
        data = entry.cvssData
        if data is None:
            raise _NotFast
        severity = data.baseSeverity or entry.baseSeverity or ""
        return data.version, data.baseScore, severity.lower(), data.vectorString
    return "", None, "", ""


def _fast_matches(configurations: Sequence[_Config] | None) -> tuple[CpeMatch, ...]:
    found: list[CpeMatch] = []
    for c_index, config in enumerate(configurations or ()):
        operator = config.operator.upper()
        for n_index, node in enumerate(config.nodes):
            if node.negate is True:
                continue  # as parse_record: "everything but" nodes never name imaging products
            for entry in node.cpeMatch:
                try:
                    cpe = _parse_cpe(entry.criteria)
                except ValueError:
                    raise _NotFast from None
                found.append(
                    CpeMatch(
                        c_index,
                        n_index,
                        operator,
                        entry.vulnerable is True,
                        cpe.part,
                        cpe.vendor,
                        cpe.product,
                        cpe.version,
                        cpe.update,
                        entry.versionStartIncluding or "",
                        entry.versionStartExcluding or "",
                        entry.versionEndIncluding or "",
                        entry.versionEndExcluding or "",
                    )
                )
    return tuple(found)


def _fast_record(item: _Item, mention: Mentioner | None) -> CveRecord:
    """What ``parse_record`` gives for the same record; raises _NotFast where it might not."""
    cve = item.cve
    if not (cve.published and cve.lastModified and _CVE_ID.match(cve.id)):
        raise _NotFast
    english = [d.value for d in cve.descriptions or () if d.lang in ("en", "en-US")]
    description = (english[0] if english else "").strip()
    matches = _fast_matches(cve.configurations)
    version, score, severity, vector = _fast_cvss(cve.metrics)
    mentions = mention(description) if mention is not None and not matches else ()
    return CveRecord(
        cve=cve.id,
        published=cve.published,
        last_modified=cve.lastModified,
        status=cve.vulnStatus or "",
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
        try:
            stream: IO[bytes] = handle
            if not single:
                fast = FastArray(handle, "vulnerabilities", _DECODER)
                for batch in fast.batches():
                    try:
                        records = [_fast_record(item, mention) for item in batch]
                    except _NotFast:
                        fast.give_back()
                        break
                    for record in records:
                        number += 1
                        last = record.cve
                        yield record
                stream = fast.rest()
            items = stream_items(stream, str(path), None if single else "vulnerabilities")
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
