"""Rows of the NVD tables as plain tuples, in their columns' order, and the batches the
store writes feed items in: one place for both NVD readers and the store.

The fast reader builds these straight from what msgspec decoded; the exact reader's
``CveRecord`` goes through ``record_rows``. Both apply the same column limits here, so a
record gives the same rows whichever reader took it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from imagewarden.vulns.interface import CpeMatch, CveRecord, CveRows, FeedItem, ProductMention

Row = tuple[Any, ...]
Batch = list[FeedItem] | CveRows
"""What the store writes at a time: up to ``BATCH`` items, or rows of up to ``BATCH`` CVEs."""
BATCH = 5000

CVE_FIELDS = (
    "cve_id",
    "published",
    "last_modified",
    "status",
    "description",
    "cvss_version",
    "cvss_score",
    "cvss_severity",
    "cvss_vector",
    "has_config",
)
CVE_ID, CVE_LAST_MODIFIED = 0, 2
"""Where ``CVE_FIELDS`` rows hold the CVE id and its last modification."""
MATCH_FIELDS = (
    "cve_id",
    "config",
    "node",
    "operator",
    "vulnerable",
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "start_including",
    "start_excluding",
    "end_including",
    "end_excluding",
)
MENTION_FIELDS = (
    "cve_id",
    "vendor_key",
    "product_key",
    "label",
    "version_op",
    "version",
    "source",
)


def cve_row(
    cve: str,
    published: str,
    last_modified: str,
    status: str,
    description: str,
    cvss: tuple[str, float | None, str, str],
    has_config: bool,
) -> Row:
    """The ``vuln_cves`` row of one record; ``cvss`` is (version, score, severity, vector)."""
    version, score, severity, vector = cvss
    return (
        cve,
        published,
        last_modified,
        status[:40],
        description[:4000],
        version[:8],
        score,
        severity[:16],
        vector[:200],
        has_config,
    )


def match_row(cve: str, m: CpeMatch) -> Row:
    """The ``vuln_cpe_matches`` row of one cpeMatch entry."""
    return (
        cve,
        m.config,
        m.node,
        m.operator,
        m.vulnerable,
        m.part,
        m.vendor,
        m.product,
        m.version,
        m.update,
        m.start_including,
        m.start_excluding,
        m.end_including,
        m.end_excluding,
    )


def mention_row(cve: str, m: ProductMention) -> Row:
    """The ``vuln_mentions`` row of a product named for a CVE."""
    return (
        cve,
        m.vendor_key[:200],
        m.product_key[:300],
        m.label[:300],
        m.version_op[:8],
        m.version[:100],
        m.source[:80],
    )


def record_rows(records: Iterable[CveRecord]) -> CveRows:
    """The rows of records the exact reader gave."""
    rows = CveRows([], [], [])
    for r in records:
        cvss = (r.cvss_version, r.cvss_score, r.cvss_severity, r.cvss_vector)
        row = cve_row(
            r.cve, r.published, r.last_modified, r.status, r.description, cvss, bool(r.matches)
        )
        rows.cves.append(row)
        rows.matches.append(tuple(match_row(r.cve, m) for m in r.matches))
        rows.mentions.append(tuple(mention_row(r.cve, m) for m in r.mentions))
    return rows


def part_of(rows: CveRows, start: int, stop: int) -> CveRows:
    """Records ``start`` to ``stop`` of ``rows``."""
    return CveRows(rows.cves[start:stop], rows.matches[start:stop], rows.mentions[start:stop])


def batches(items: Iterable[FeedItem], size: int | None = None) -> Iterator[Batch]:
    """Items in lists of ``size`` (default ``BATCH``); rows already built in parts of it."""
    size = size or BATCH
    batch: list[FeedItem] = []
    for item in items:
        if isinstance(item, CveRows):
            if batch:
                yield batch
                batch = []
            for start in range(0, len(item.cves), size):
                yield part_of(item, start, start + size)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_batches(read: Callable[[], Iterable[FeedItem]]) -> Iterator[Batch]:
    """``batches`` of what ``read()`` gives: the messages a reader in a child process sends."""
    return batches(read())


def items_of(messages: Iterable[Batch]) -> Iterator[FeedItem]:
    """The items of batches again (rows stay whole)."""
    for batch in messages:
        if isinstance(batch, CveRows):
            yield batch
        else:
            yield from batch
