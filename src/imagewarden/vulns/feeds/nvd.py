"""NVD CVE API 2.0 JSON: API responses, yearly/recent feed files and one-record files.

Large files are read a few MiB at a time: msgspec decodes and type-checks whole chunks of
``vulnerabilities`` items into the structs below (``FastArray``), about ten times faster
than building dicts. Whatever that path does not take (an unusual header, a record that is
malformed or shaped differently) goes to the exact path: ijson streams one item at a time
and ``parse_record`` checks it and names the problem. The fast path builds the table rows
straight from the structs (``CveRows``, one per chunk); the exact path's records become the
same rows in the store (``rows.record_rows``). Memory does not grow with the feed on either.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import msgspec

from imagewarden.model import UserInputError
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.json import FastArray, stream_items
from imagewarden.readers.limits import LimitExceeded
from imagewarden.vulns.cpe import parse_cpe
from imagewarden.vulns.feeds.source import excerpt, record_error
from imagewarden.vulns.interface import CpeMatch, CveRecord, CveRows
from imagewarden.vulns.names import PhraseIndex, description_mentions
from imagewarden.vulns.rows import Row, cve_row, mention_row

_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
# Newest CVSS first: v3.1 and v3.0 are what NVD analyses; v4.0 and v2 fill gaps.
_METRICS = ("cvssMetricV31", "cvssMetricV30", "cvssMetricV40", "cvssMetricV2")
_RANGE_KEYS = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
)

_CPE_PREFIX = "cpe:2.3:"
_CPE_PARTS = frozenset(("a", "o", "h", "*"))


CpeFields = tuple[str, str, str, str, str]
"""part, vendor, product, version, update: the columns a cpeMatch row stores of its name."""


@functools.lru_cache(maxsize=1 << 16)
def _parse_cpe(text: str) -> CpeFields:
    """``parse_cpe``, faster: most names have no escapes, so a plain split is the same split.

    Names recur across thousands of records (a cache), and a feed holds hundreds of
    thousands of them. Anything unusual is left to ``parse_cpe`` (and its error message).
    """
    if "\\" not in text and text.startswith(_CPE_PREFIX):
        fields = text[8:].lower().split(":")
        if len(fields) == 11 and fields[0] in _CPE_PARTS:
            return fields[0], fields[1], fields[2], fields[3], fields[4]
    cpe = parse_cpe(text)
    return cpe.part, cpe.vendor, cpe.product, cpe.version, cpe.update


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
                    part, vendor, product, version, update = _parse_cpe(_text(entry, "criteria"))
                except ValueError as exc:
                    raise RecordProblem(str(exc)) from None
                ranges = [str(entry.get(k) or "") for k in _RANGE_KEYS]
                found.append(
                    CpeMatch(
                        config=c_index,
                        node=n_index,
                        operator=operator,
                        vulnerable=entry.get("vulnerable") is True,
                        part=part,
                        vendor=vendor,
                        product=product,
                        version=version,
                        update=update,
                        start_including=ranges[0],
                        start_excluding=ranges[1],
                        end_including=ranges[2],
                        end_excluding=ranges[3],
                    )
                )
    return tuple(found)


def parse_record(record: Any, phrases: PhraseIndex | None = None) -> CveRecord:
    """One NVD 2.0 CVE object as a record; raises RecordProblem when it is malformed.

    With ``phrases``, a record without CPE configurations gets the dictionary products its
    description names.
    """
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
    mentions = _mentions(phrases, description) if not matches else ()
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
# ``_fast_rows`` cannot turn into exactly the rows ``parse_record``'s would give, goes to the exact
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


def _mentions(phrases: PhraseIndex | None, description: str) -> tuple[Any, ...]:
    return () if phrases is None else description_mentions(phrases, description)


def _fast_matches(cve: str, configurations: Sequence[_Config]) -> tuple[Row, ...]:
    """The cpeMatch rows of one record (as ``rows.match_row`` of ``_matches``' entries)."""
    found: list[Row] = []
    for c_index, config in enumerate(configurations):
        operator = config.operator.upper()
        for n_index, node in enumerate(config.nodes):
            if node.negate is True:
                continue  # as parse_record: "everything but" nodes never name imaging products
            for entry in node.cpeMatch:
                try:
                    part, vendor, product, version, update = _parse_cpe(entry.criteria)
                except ValueError:
                    raise _NotFast from None
                found.append(
                    (
                        cve,
                        c_index,
                        n_index,
                        operator,
                        entry.vulnerable is True,
                        part,
                        vendor,
                        product,
                        version,
                        update,
                        entry.versionStartIncluding or "",
                        entry.versionStartExcluding or "",
                        entry.versionEndIncluding or "",
                        entry.versionEndExcluding or "",
                    )
                )
    return tuple(found)


def _fast_rows(items: list[_Item], phrases: PhraseIndex | None) -> CveRows:
    """The rows ``parse_record`` and ``rows.record_rows`` give for the same records, built
    without them; raises _NotFast where they might differ."""
    rows = CveRows([], [], [])
    for item in items:
        cve = item.cve
        cve_id = cve.id
        if not (cve.published and cve.lastModified and _CVE_ID.match(cve_id)):
            raise _NotFast
        description = ""
        for text in cve.descriptions or ():
            if text.lang in ("en", "en-US"):
                description = text.value
                break
        description = description.strip()
        matches = _fast_matches(cve_id, cve.configurations) if cve.configurations else ()
        mentions: tuple[Row, ...] = ()
        if not matches and phrases is not None:
            named = description_mentions(phrases, description)
            mentions = tuple(mention_row(cve_id, m) for m in named)
        rows.cves.append(
            cve_row(
                cve_id,
                cve.published,
                cve.lastModified,
                cve.vulnStatus or "",
                description,
                _fast_cvss(cve.metrics),
                bool(matches),
            )
        )
        rows.matches.append(matches)
        rows.mentions.append(mentions)
    return rows


def _record_id(raw: Any) -> str:
    if isinstance(raw, Mapping):
        inner = raw.get("cve", raw)
        if isinstance(inner, Mapping):
            return str(inner.get("id", ""))
    return ""


def read_nvd(
    path: Path, *, single: bool, phrases: PhraseIndex | None = None
) -> Iterator[CveRecord | CveRows]:
    """Every CVE record in the file, as rows a chunk at a time where the fast path takes
    them; raises UserInputError naming the file and record. With ``phrases``, records
    without CPE configurations get the dictionary products their descriptions name."""
    number = 0
    last = ""
    with open_maybe_gzip(path) as handle:
        try:
            stream: IO[bytes] = handle
            if not single:
                fast = FastArray(handle, "vulnerabilities", _DECODER)
                for batch in fast.batches():
                    try:
                        rows = _fast_rows(batch, phrases)
                    except _NotFast:
                        fast.give_back()
                        break
                    if rows.cves:
                        number += len(rows.cves)
                        last = rows.cves[-1][0]
                        yield rows
                stream = fast.rest()
            items = stream_items(stream, str(path), None if single else "vulnerabilities")
            for raw in items:
                number += 1
                last = _record_id(raw)
                try:
                    yield parse_record(raw, phrases)
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
