"""Reading and writing the vulnerability tables.

Each feed file is written in one transaction: a malformed record anywhere in the file rolls the
whole file back. Records are written in batches as they stream in, so a 300,000-record feed
never sits in memory.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, and_, delete, exists, func, insert, or_, select
from sqlalchemy.orm import Session

from imagewarden.model import Observation
from imagewarden.store import codec
from imagewarden.store.schema import ObservationRow
from imagewarden.vulns.interface import (
    CpeMatch,
    CsafAdvisory,
    CveRecord,
    EpssScore,
    FeedItem,
    KevEntry,
    ProductMention,
)
from imagewarden.vulns.sbom import SbomComponent as Component
from imagewarden.vulns.store.tables import (
    VulnComponentRow,
    VulnCpeMatchRow,
    VulnCveRow,
    VulnEpssRow,
    VulnFeedImportRow,
    VulnKevRow,
    VulnMentionRow,
)

T = TypeVar("T")
_BATCH = 2000
_IN = 500  # ids per IN (...) list: below SQLite's bound-parameter limit
_PARAMS = 900  # vendors + products per query, below SQLite's bound-parameter limit
_MATCH_COLUMNS = (
    VulnCpeMatchRow.cve_id,
    VulnCpeMatchRow.config,
    VulnCpeMatchRow.node,
    VulnCpeMatchRow.operator,
    VulnCpeMatchRow.vulnerable,
    VulnCpeMatchRow.part,
    VulnCpeMatchRow.vendor,
    VulnCpeMatchRow.product,
    VulnCpeMatchRow.version,
    VulnCpeMatchRow.update,
    VulnCpeMatchRow.start_including,
    VulnCpeMatchRow.start_excluding,
    VulnCpeMatchRow.end_including,
    VulnCpeMatchRow.end_excluding,
)
"""In CpeMatch field order after cve_id: rows become CpeMatch without ORM objects."""
_MENTION_COLUMNS = (
    VulnMentionRow.cve_id,
    VulnMentionRow.vendor_key,
    VulnMentionRow.product_key,
    VulnMentionRow.label,
    VulnMentionRow.version_op,
    VulnMentionRow.version,
    VulnMentionRow.source,
)


def _chunks(items: Sequence[T], size: int = _IN) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(items: Iterable[T], size: int = _BATCH) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _pair_filter(
    vendor_column: Any, product_column: Any, pairs: set[tuple[str, str]]
) -> Iterator[ColumnElement[bool]]:
    """WHERE clauses covering the pairs, each within the parameter budget.

    (vendor = ? AND product IN (...)) OR ... is an exact search of the (vendor, product)
    index on SQLite ("multi-index OR") and PostgreSQL; a row-value IN list is not.
    """
    by_vendor: dict[str, list[str]] = defaultdict(list)
    for vendor, product in sorted(pairs):
        by_vendor[vendor].append(product)
    terms: list[ColumnElement[bool]] = []
    used = 0
    for vendor, products in by_vendor.items():
        for start in range(0, len(products), _PARAMS - 1):
            part = products[start : start + _PARAMS - 1]
            if terms and used + len(part) + 1 > _PARAMS:
                yield or_(*terms)
                terms, used = [], 0
            terms.append(and_(vendor_column == vendor, product_column.in_(part)))
            used += len(part) + 1
    if terms:
        yield or_(*terms)


@dataclass(frozen=True, slots=True)
class FileImport:
    kind: str
    file: str
    records: int
    """Records written (new or newer than the stored version)."""
    skipped: int
    """Records not newer than the stored version (incremental import)."""


@dataclass(frozen=True, slots=True)
class CveInfo:
    cve: str
    description: str
    cvss_version: str
    cvss_score: float | None
    cvss_severity: str
    cvss_vector: str
    last_modified: str


@dataclass(frozen=True, slots=True)
class StoredMention:
    cve: str
    mention: ProductMention


class VulnStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- import ----------------------------------------------------------------------

    def import_items(
        self, kind: str, file: str, items: Iterable[FeedItem], now: dt.datetime
    ) -> FileImport:
        written = skipped = 0
        with Session(self.engine) as session, session.begin():
            for batch in _batches(items):
                w, s = self._write_batch(session, batch)
                written += w
                skipped += s
            session.execute(
                insert(VulnFeedImportRow),
                [
                    {
                        "kind": kind,
                        "file": file[:500],
                        "imported_at": now,
                        "records": written,
                        "skipped": skipped,
                    }
                ],
            )
        return FileImport(kind, file, written, skipped)

    def _write_batch(self, session: Session, batch: list[FeedItem]) -> tuple[int, int]:
        cves = [i for i in batch if isinstance(i, CveRecord)]
        kev = [i for i in batch if isinstance(i, KevEntry)]
        epss = [i for i in batch if isinstance(i, EpssScore)]
        csaf = [i for i in batch if isinstance(i, CsafAdvisory)]
        written = skipped = 0
        if cves:
            w, skipped = self._write_cves(session, cves)
            written += w
        if kev:
            self._replace(session, VulnKevRow, [asdict(k) | {"cve_id": k.cve} for k in kev])
            written += len(kev)
        if epss:
            self._replace(
                session,
                VulnEpssRow,
                [
                    {
                        "cve_id": e.cve,
                        "epss": e.epss,
                        "percentile": e.percentile,
                        "score_date": e.score_date,
                    }
                    for e in epss
                ],
            )
            written += len(epss)
        for advisory in csaf:
            source = f"csaf:{advisory.advisory_id}"[:80]
            session.execute(delete(VulnMentionRow).where(VulnMentionRow.source == source))
            rows = [_mention_row(cve, m) for cve, m in advisory.mentions]
            for chunk in _chunks(rows, _BATCH):
                session.execute(insert(VulnMentionRow), list(chunk))
            written += len(advisory.mentions)
        return written, skipped

    @staticmethod
    def _replace(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
        latest = {row["cve_id"]: row for row in rows}  # a file may repeat a CVE: last wins
        ids = list(latest)
        for chunk in _chunks(ids):
            session.execute(delete(table).where(table.cve_id.in_(chunk)))
        session.execute(
            insert(table), [{k: v for k, v in row.items() if k != "cve"} for row in latest.values()]
        )

    def _write_cves(self, session: Session, records: list[CveRecord]) -> tuple[int, int]:
        latest: dict[str, CveRecord] = {}
        for record in records:
            known = latest.get(record.cve)
            if known is None or record.last_modified >= known.last_modified:
                latest[record.cve] = record
        stored: dict[str, str] = {}
        ids = list(latest)
        for chunk in _chunks(ids):
            query = select(VulnCveRow.cve_id, VulnCveRow.last_modified).where(
                VulnCveRow.cve_id.in_(chunk)
            )
            stored.update({row[0]: row[1] for row in session.execute(query)})
        # Incremental: a record replaces the stored one only when NVD modified it since.
        fresh = [r for r in latest.values() if r.last_modified > stored.get(r.cve, "")]
        skipped = len(records) - len(fresh)
        if not fresh:
            return 0, skipped
        replace = [r.cve for r in fresh if r.cve in stored]
        for chunk in _chunks(replace):
            session.execute(delete(VulnCveRow).where(VulnCveRow.cve_id.in_(chunk)))
            session.execute(delete(VulnCpeMatchRow).where(VulnCpeMatchRow.cve_id.in_(chunk)))
            session.execute(
                delete(VulnMentionRow).where(
                    VulnMentionRow.cve_id.in_(chunk), VulnMentionRow.source == "description"
                )
            )
        session.execute(
            insert(VulnCveRow),
            [
                {
                    "cve_id": r.cve,
                    "published": r.published,
                    "last_modified": r.last_modified,
                    "status": r.status[:40],
                    "description": r.description,
                    "cvss_version": r.cvss_version[:8],
                    "cvss_score": r.cvss_score,
                    "cvss_severity": r.cvss_severity[:16],
                    "cvss_vector": r.cvss_vector[:200],
                    "has_config": bool(r.matches),
                }
                for r in fresh
            ],
        )
        matches = [_match_row(r.cve, m) for r in fresh for m in r.matches]
        if matches:
            session.execute(insert(VulnCpeMatchRow), matches)
        mentions = [_mention_row(r.cve, m) for r in fresh for m in r.mentions]
        if mentions:
            session.execute(insert(VulnMentionRow), mentions)
        return len(fresh), skipped

    # --- reading ---------------------------------------------------------------------

    def has_data(self) -> bool:
        with Session(self.engine) as session:
            return bool(
                session.scalar(select(exists().where(VulnCveRow.cve_id.is_not(None))))
                or session.scalar(select(exists().where(VulnMentionRow.id.is_not(None))))
            )

    def counts(self) -> dict[str, int]:
        with Session(self.engine) as session:
            return {
                name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in (
                    ("cves", VulnCveRow),
                    ("cpe_matches", VulnCpeMatchRow),
                    ("mentions", VulnMentionRow),
                    ("kev", VulnKevRow),
                    ("epss", VulnEpssRow),
                    ("components", VulnComponentRow),
                )
            }

    def matches_for(self, products: set[tuple[str, str]]) -> dict[str, list[CpeMatch]]:
        """CPE entries for these (vendor, product) keys, by CVE.

        CVEs with OR configurations need only the entries naming the keys; CVEs with an AND
        configuration get all their entries (the platform side names other products).
        """
        found: dict[str, list[CpeMatch]] = defaultdict(list)
        with self.engine.connect() as connection:
            for where in _pair_filter(VulnCpeMatchRow.vendor, VulnCpeMatchRow.product, products):
                query = select(*_MATCH_COLUMNS).where(where, VulnCpeMatchRow.vulnerable.is_(True))
                for cve, *fields in connection.execute(query).all():
                    found[cve].append(CpeMatch(*fields))
            combined = sorted(
                cve for cve, entries in found.items() if any(e.operator == "AND" for e in entries)
            )
            for ids in _chunks(combined):
                for cve in ids:
                    found[cve] = []
                rows = select(*_MATCH_COLUMNS).where(VulnCpeMatchRow.cve_id.in_(ids))
                for cve, *fields in connection.execute(rows).all():
                    found[cve].append(CpeMatch(*fields))
        return found

    def mentions_for(self, products: set[tuple[str, str]]) -> list[StoredMention]:
        result: list[StoredMention] = []
        with self.engine.connect() as connection:
            columns = (VulnMentionRow.vendor_key, VulnMentionRow.product_key)
            for where in _pair_filter(*columns, products):
                for row in connection.execute(select(*_MENTION_COLUMNS).where(where)):
                    result.append(StoredMention(row[0], ProductMention(*row[1:])))
        return result

    def cve_info(self, ids: Iterable[str]) -> dict[str, CveInfo]:
        found: dict[str, CveInfo] = {}
        with Session(self.engine) as session:
            for chunk in _chunks(sorted(set(ids))):
                for row in session.scalars(select(VulnCveRow).where(VulnCveRow.cve_id.in_(chunk))):
                    found[row.cve_id] = CveInfo(
                        row.cve_id,
                        row.description,
                        row.cvss_version,
                        row.cvss_score,
                        row.cvss_severity,
                        row.cvss_vector,
                        row.last_modified,
                    )
        return found

    def kev(self, ids: Iterable[str]) -> dict[str, KevEntry]:
        found: dict[str, KevEntry] = {}
        with Session(self.engine) as session:
            for chunk in _chunks(sorted(set(ids))):
                for row in session.scalars(select(VulnKevRow).where(VulnKevRow.cve_id.in_(chunk))):
                    found[row.cve_id] = KevEntry(
                        row.cve_id,
                        row.vendor,
                        row.product,
                        row.name,
                        row.date_added,
                        row.due_date,
                        row.ransomware,
                        row.catalog_version,
                    )
        return found

    def epss(self, ids: Iterable[str]) -> dict[str, EpssScore]:
        found: dict[str, EpssScore] = {}
        with Session(self.engine) as session:
            for chunk in _chunks(sorted(set(ids))):
                query = select(VulnEpssRow).where(VulnEpssRow.cve_id.in_(chunk))
                for row in session.scalars(query):
                    found[row.cve_id] = EpssScore(
                        row.cve_id, row.epss, row.percentile, row.score_date
                    )
        return found

    # --- SBOM components and MDS2 observations ----------------------------------------

    def replace_components(
        self, asset_id: str, components: Sequence[Component], source: str
    ) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(VulnComponentRow).where(VulnComponentRow.asset_id == asset_id))
            if components:
                session.execute(
                    insert(VulnComponentRow),
                    [
                        {
                            "asset_id": asset_id,
                            "name": c.name[:300],
                            "version": c.version[:100],
                            "vendor": c.vendor[:200],
                            "purl": c.purl[:500],
                            "cpe": c.cpe[:500],
                            "source": source[:300],
                        }
                        for c in components
                    ],
                )

    def components(self) -> dict[str, list[Component]]:
        found: dict[str, list[Component]] = defaultdict(list)
        with Session(self.engine) as session:
            for row in session.scalars(select(VulnComponentRow).order_by(VulnComponentRow.id)):
                found[row.asset_id].append(
                    Component(row.name, row.version, row.vendor, row.purl, row.cpe)
                )
        return found

    def replace_observations(self, observations: Sequence[Observation]) -> None:
        """Write observations, replacing earlier values of the same facts from the same source."""
        with Session(self.engine) as session, session.begin():
            for obs in observations:
                session.execute(
                    delete(ObservationRow).where(
                        ObservationRow.subject_kind == obs.subject_kind.value,
                        ObservationRow.subject_id == obs.subject_id,
                        ObservationRow.name == obs.name,
                        ObservationRow.source == obs.source.value,
                    )
                )
            if observations:
                session.execute(
                    insert(ObservationRow), [codec.observation_row(o) for o in observations]
                )


def _match_row(cve: str, m: CpeMatch) -> dict[str, Any]:
    return {"cve_id": cve, **asdict(m)}


def _mention_row(cve: str, m: ProductMention) -> dict[str, Any]:
    return {
        "cve_id": cve,
        "vendor_key": m.vendor_key[:200],
        "product_key": m.product_key[:300],
        "label": m.label[:300],
        "version_op": m.version_op[:8],
        "version": m.version[:100],
        "source": m.source[:80],
    }


def _mention_from_row(row: VulnMentionRow) -> ProductMention:
    return ProductMention(
        row.vendor_key, row.product_key, row.label, row.version_op, row.version, row.source
    )
