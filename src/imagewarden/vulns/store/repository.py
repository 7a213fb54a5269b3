"""Reading and writing the vulnerability tables, through the store's unit of work.

Each feed file is written in one audited transaction (``Store.changing``): a malformed record
anywhere in the file rolls the whole file back, and the audit trail gets one entry per file
with its counts. Records are written in batches as they stream in, so a 300,000-record feed
never sits in memory. Every read returns frozen dataclasses, never rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
)

from imagewarden.store import Store
from imagewarden.store.chunks import chunks
from imagewarden.vulns.interface import (
    CpeMatch,
    CsafAdvisory,
    CveRecord,
    CveRows,
    EpssScore,
    FeedItem,
    FeedKind,
    KevEntry,
    ProductMention,
)
from imagewarden.vulns.interface import SbomComponent as Component
from imagewarden.vulns.rows import (
    BATCH,
    CVE_FIELDS,
    CVE_ID,
    CVE_LAST_MODIFIED,
    MATCH_FIELDS,
    MENTION_FIELDS,
    Batch,
    Row,
    batches,
    mention_row,
    record_rows,
)
from imagewarden.vulns.store.tables import (
    VulnComponentRow,
    VulnCpeMatchRow,
    VulnCveRow,
    VulnEpssRow,
    VulnFeedImportRow,
    VulnKevRow,
    VulnMentionRow,
)

FEED_IMPORT_ACTION = "feeds.import"
"""The audit action of one feed file import."""
SBOM_IMPORT_ACTION = "import.sbom"
"""The audit action of one SBOM import."""

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


def _products_by_vendor(pairs: set[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """The pairs as (vendor, products) lookups, each within the parameter budget."""
    by_vendor: dict[str, list[str]] = defaultdict(list)
    for vendor, product in sorted(pairs):
        by_vendor[vendor].append(product)
    for vendor, products in by_vendor.items():
        for part in chunks(products, _PARAMS - 1):
            yield vendor, list(part)


def _by_vendor_and_products(vendor_column: Any, product_column: Any) -> ColumnElement[bool]:
    """vendor = :vendor AND product IN :products, an exact search of the (vendor, product)
    index on SQLite and PostgreSQL. One statement, executed once per vendor: SQLAlchemy
    compiles it once, where an OR of a clause per vendor cost more to build than to run."""
    return and_(
        vendor_column == bindparam("vendor"),
        product_column.in_(bindparam("products", expanding=True)),
    )


_CPE_BY_PRODUCT = select(*_MATCH_COLUMNS).where(
    _by_vendor_and_products(VulnCpeMatchRow.vendor, VulnCpeMatchRow.product),
    VulnCpeMatchRow.vulnerable.is_(True),
)
_MENTIONS_BY_PRODUCT = select(*_MENTION_COLUMNS).where(
    _by_vendor_and_products(VulnMentionRow.vendor_key, VulnMentionRow.product_key)
)


@dataclass(frozen=True, slots=True)
class FileImport:
    """What importing one feed file wrote."""

    kind: FeedKind
    file: str
    records: int
    """Records written (new or newer than the stored version)."""
    skipped: int
    """Records not newer than the stored version (incremental import)."""


@dataclass(frozen=True, slots=True)
class CveInfo:
    """The stored NVD facts of one CVE that a finding shows."""

    cve: str
    description: str
    cvss_version: str
    cvss_score: float | None
    cvss_severity: str
    cvss_vector: str
    last_modified: str


@dataclass(frozen=True, slots=True)
class StoredMention:
    """A product named for a CVE (by a CSAF advisory or the description), as stored."""

    cve: str
    mention: ProductMention


@dataclass(frozen=True, slots=True)
class FeedCounts:
    """How much vulnerability data the store holds."""

    cves: int
    cpe_matches: int
    mentions: int
    kev: int
    epss: int
    components: int


@dataclass(frozen=True, slots=True)
class FeedImportRecord:
    """One past feed file import."""

    kind: FeedKind
    file: str
    imported_at: dt.datetime
    records: int
    skipped: int


class VulnRepository:
    """The vulnerability tables of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- import ----------------------------------------------------------------------

    def import_feed(
        self,
        actor: str,
        kind: FeedKind,
        file: str,
        items: Iterable[FeedItem],
        now: dt.datetime,
    ) -> FileImport:
        """Write one feed file's records in one audited transaction, all or nothing.

        ``items`` is consumed inside the transaction: a reader that raises part-way rolls
        the whole file back, and no audit entry is written. Rows go in through Core
        ``executemany`` in batches. The first NVD import into an empty store writes the CPE
        and mention rows without their secondary indexes and builds them once at the end
        (faster than keeping them up to date row by row); later imports keep them.
        """
        written = skipped = 0
        with self.store.changing(actor, FEED_IMPORT_ACTION, file) as change:
            connection = change.session.connection()
            writer = _Writer(connection, bulk=kind is FeedKind.NVD and _empty(connection))
            for batch in batches(items):
                w, s = writer.write(batch)
                written += w
                skipped += s
            writer.finish()
            connection.execute(
                insert(_FEED_IMPORTS),
                [
                    {
                        "kind": kind.value,
                        "file": file[:500],
                        "imported_at": now,
                        "records": written,
                        "skipped": skipped,
                    }
                ],
            )
            change.after = {"kind": kind.value, "records": written, "skipped": skipped}
        return FileImport(kind, file, written, skipped)

    # --- reading ---------------------------------------------------------------------

    def has_data(self) -> bool:
        """Any CVE or advisory mention stored (else the matcher has nothing to do)."""
        with self.store.reading() as session:
            return bool(
                session.scalar(select(exists().where(VulnCveRow.cve_id.is_not(None))))
                or session.scalar(select(exists().where(VulnMentionRow.id.is_not(None))))
            )

    def counts(self) -> FeedCounts:
        """Rows per vulnerability table."""
        tables = (
            VulnCveRow,
            VulnCpeMatchRow,
            VulnMentionRow,
            VulnKevRow,
            VulnEpssRow,
            VulnComponentRow,
        )
        with self.store.reading() as session:
            numbers = [
                session.scalar(select(func.count()).select_from(table)) or 0 for table in tables
            ]
        return FeedCounts(*numbers)

    def imports(self, limit: int = 0) -> list[FeedImportRecord]:
        """Past feed file imports, newest first."""
        query = select(
            VulnFeedImportRow.kind,
            VulnFeedImportRow.file,
            VulnFeedImportRow.imported_at,
            VulnFeedImportRow.records,
            VulnFeedImportRow.skipped,
        ).order_by(VulnFeedImportRow.id.desc())
        if limit:
            query = query.limit(limit)
        found: list[FeedImportRecord] = []
        with self.store.connection() as connection:
            for kind, file, at, records, skipped in connection.execute(query):
                try:
                    known = FeedKind(kind)
                except ValueError:
                    continue  # written by a newer version: not ours to show
                found.append(FeedImportRecord(known, file, at, records, skipped))
        return found

    def matches_for(self, products: set[tuple[str, str]]) -> dict[str, list[CpeMatch]]:
        """CPE entries for these (vendor, product) keys, by CVE.

        CVEs with OR configurations need only the entries naming the keys; CVEs with an AND
        configuration get all their entries (the platform side names other products).
        """
        found: dict[str, list[CpeMatch]] = defaultdict(list)
        with self.store.connection() as connection:
            for vendor, names in _products_by_vendor(products):
                lookup = {"vendor": vendor, "products": names}
                for cve, *fields in connection.execute(_CPE_BY_PRODUCT, lookup):
                    found[cve].append(CpeMatch(*fields))
            combined = sorted(
                cve for cve, entries in found.items() if any(e.operator == "AND" for e in entries)
            )
            for ids in chunks(combined):
                for cve in ids:
                    found[cve] = []
                rows = select(*_MATCH_COLUMNS).where(VulnCpeMatchRow.cve_id.in_(ids))
                for cve, *fields in connection.execute(rows).all():
                    found[cve].append(CpeMatch(*fields))
        return found

    def mentions_for(self, products: set[tuple[str, str]]) -> list[StoredMention]:
        """Products named by advisories and descriptions for these (vendor, product) keys."""
        result: list[StoredMention] = []
        with self.store.connection() as connection:
            for vendor, names in _products_by_vendor(products):
                lookup = {"vendor": vendor, "products": names}
                for row in connection.execute(_MENTIONS_BY_PRODUCT, lookup):
                    result.append(StoredMention(row[0], ProductMention(*row[1:])))
        return result

    def cve_info(self, ids: Iterable[str]) -> dict[str, CveInfo]:
        """Stored NVD facts of these CVEs (those not stored are left out)."""
        found: dict[str, CveInfo] = {}
        with self.store.reading() as session:
            for chunk in chunks(sorted(set(ids))):
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
        """The KEV entries of these CVEs (those not in KEV are left out)."""
        found: dict[str, KevEntry] = {}
        with self.store.reading() as session:
            for chunk in chunks(sorted(set(ids))):
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
        """The EPSS scores of these CVEs (those unscored are left out)."""
        found: dict[str, EpssScore] = {}
        with self.store.reading() as session:
            for chunk in chunks(sorted(set(ids))):
                query = select(VulnEpssRow).where(VulnEpssRow.cve_id.in_(chunk))
                for row in session.scalars(query):
                    found[row.cve_id] = EpssScore(
                        row.cve_id, row.epss, row.percentile, row.score_date
                    )
        return found

    # --- SBOM components and MDS2 observations ----------------------------------------

    def replace_components(
        self, actor: str, asset_id: str, components: Sequence[Component], source: str
    ) -> int:
        """Replace the asset's SBOM components in one audited transaction; returns the count."""
        with self.store.changing(actor, SBOM_IMPORT_ACTION, asset_id) as change:
            session = change.session
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
            change.after = {"source": source[:300], "components": len(components)}
        return len(components)

    def components(self) -> dict[str, list[Component]]:
        """Every asset's SBOM components, in the order they were imported."""
        found: dict[str, list[Component]] = defaultdict(list)
        columns = (
            VulnComponentRow.asset_id,
            VulnComponentRow.name,
            VulnComponentRow.version,
            VulnComponentRow.vendor,
            VulnComponentRow.purl,
            VulnComponentRow.cpe,
        )
        with self.store.connection() as connection:
            for asset_id, *fields in connection.execute(
                select(*columns).order_by(VulnComponentRow.id)
            ):
                found[asset_id].append(Component(*fields))
        return found


_CVES: Table = VulnCveRow.__table__  # type: ignore[assignment]
_MATCHES: Table = VulnCpeMatchRow.__table__  # type: ignore[assignment]
_MENTIONS: Table = VulnMentionRow.__table__  # type: ignore[assignment]
_KEV: Table = VulnKevRow.__table__  # type: ignore[assignment]
_EPSS: Table = VulnEpssRow.__table__  # type: ignore[assignment]
_FEED_IMPORTS: Table = VulnFeedImportRow.__table__  # type: ignore[assignment]
_DEFERRED = (*_MATCHES.indexes, *_MENTIONS.indexes)
"""Secondary indexes a first NVD import builds once at the end (the same names and columns
as the vulns migration, so the schema is the same after it)."""


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@functools.lru_cache(maxsize=32)
def _insert_sql(table: Table, columns: tuple[str, ...], dialect: Dialect) -> str:
    """INSERT of ``columns`` with positional placeholders, names quoted by the dialect."""
    quote = dialect.identifier_preparer
    placeholder = _PLACEHOLDERS[dialect.paramstyle]
    return (
        f"INSERT INTO {quote.format_table(table)} "
        f"({', '.join(quote.quote(column) for column in columns)}) "
        f"VALUES ({', '.join(placeholder for _ in columns)})"
    )


def _insert_many(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: list[Row]
) -> None:
    """One ``executemany`` of plain tuples through the Core connection.

    Core's per-row parameter processing was a third of an NVD import; these columns hold
    only strings, numbers and booleans, which both drivers take as they are.
    """
    if rows:
        connection.exec_driver_sql(_insert_sql(table, columns, connection.dialect), rows)


def _empty(connection: Connection) -> bool:
    return connection.execute(select(_CVES.c.cve_id).limit(1)).first() is None


class _Writer:
    """Writes batches of feed items through Core ``executemany`` on one connection."""

    def __init__(self, connection: Connection, *, bulk: bool) -> None:
        self.connection = connection
        self.deferred = False
        # Into an empty table, only a CVE this import wrote can be stored: no need to ask
        # about the others (the ids only: a repeated CVE is rare, its date is asked for).
        self.written: set[str] | None = set() if bulk else None
        if bulk:
            for index in sorted(_DEFERRED, key=lambda i: str(i.name)):
                index.drop(connection)
            self.deferred = True

    def finish(self) -> None:
        """Build the indexes dropped for a first import (in the same transaction)."""
        if self.deferred:
            for index in sorted(_DEFERRED, key=lambda i: str(i.name)):
                index.create(self.connection)
            self.deferred = False

    def write(self, batch: Batch) -> tuple[int, int]:
        """Write one batch; returns (written, skipped as not newer than stored)."""
        if isinstance(batch, CveRows):
            return self._cves(batch)
        cves = [i for i in batch if isinstance(i, CveRecord)]
        written = skipped = 0
        if cves:
            written, skipped = self._cves(record_rows(cves))
        if len(cves) == len(batch):
            return written, skipped
        kev = [i for i in batch if isinstance(i, KevEntry)]
        if kev:
            self._replace(_KEV, _KEV_FIELDS, {k.cve: _kev_row(k) for k in kev})
            written += len(kev)
        epss = [i for i in batch if isinstance(i, EpssScore)]
        if epss:
            self._replace(_EPSS, _EPSS_FIELDS, {e.cve: _epss_row(e) for e in epss})
            written += len(epss)
        for advisory in (i for i in batch if isinstance(i, CsafAdvisory)):
            source = f"csaf:{advisory.advisory_id}"[:80]
            self.connection.execute(delete(_MENTIONS).where(_MENTIONS.c.source == source))
            rows = [mention_row(cve, m) for cve, m in advisory.mentions]
            for chunk in chunks(rows, BATCH):
                _insert_many(self.connection, _MENTIONS, MENTION_FIELDS, list(chunk))
            written += len(advisory.mentions)
        return written, skipped

    def _replace(self, table: Table, columns: tuple[str, ...], latest: dict[str, Row]) -> None:
        """Rows keyed by CVE replace the stored ones (a file repeating a CVE: last wins)."""
        for chunk in chunks(list(latest)):
            self.connection.execute(delete(table).where(table.c.cve_id.in_(chunk)))
        _insert_many(self.connection, table, columns, list(latest.values()))

    def _cves(self, rows: CveRows) -> tuple[int, int]:
        records = rows.cves
        latest: dict[str, int] = {}  # CVE -> its newest record in the batch (the last of equals)
        for index, row in enumerate(records):
            known = latest.get(row[CVE_ID])
            if known is None or row[CVE_LAST_MODIFIED] >= records[known][CVE_LAST_MODIFIED]:
                latest[row[CVE_ID]] = index
        written = self.written
        asked = list(latest) if written is None else [cve for cve in latest if cve in written]
        stored: dict[str, str] = {}
        for chunk in chunks(asked):
            query = select(_CVES.c.cve_id, _CVES.c.last_modified).where(_CVES.c.cve_id.in_(chunk))
            stored.update((cve, modified) for cve, modified in self.connection.execute(query))
        # Incremental: a record replaces the stored one only when NVD modified it since.
        fresh = [
            index
            for cve, index in latest.items()
            if records[index][CVE_LAST_MODIFIED] > stored.get(cve, "")
        ]
        skipped = len(records) - len(fresh)
        if not fresh:
            return 0, skipped
        replace = [records[index][CVE_ID] for index in fresh if records[index][CVE_ID] in stored]
        if replace:
            self.finish()  # deleting by CVE needs the cve_id indexes
        for chunk in chunks(replace):
            self.connection.execute(delete(_CVES).where(_CVES.c.cve_id.in_(chunk)))
            self.connection.execute(delete(_MATCHES).where(_MATCHES.c.cve_id.in_(chunk)))
            self.connection.execute(
                delete(_MENTIONS).where(
                    _MENTIONS.c.cve_id.in_(chunk), _MENTIONS.c.source == "description"
                )
            )
        cves = [records[index] for index in fresh]
        if written is not None:
            written.update(row[CVE_ID] for row in cves)
        connection = self.connection
        _insert_many(connection, _CVES, CVE_FIELDS, cves)
        chain = itertools.chain.from_iterable
        matches = list(chain(rows.matches[index] for index in fresh))
        _insert_many(connection, _MATCHES, MATCH_FIELDS, matches)
        mentions = list(chain(rows.mentions[index] for index in fresh))
        _insert_many(connection, _MENTIONS, MENTION_FIELDS, mentions)
        return len(fresh), skipped


# Each row builder gives a plain tuple in its columns' order.
_KEV_FIELDS = (
    "cve_id",
    "vendor",
    "product",
    "name",
    "date_added",
    "due_date",
    "ransomware",
    "catalog_version",
)


def _kev_row(k: KevEntry) -> Row:
    return (
        k.cve,
        k.vendor,
        k.product,
        k.name,
        k.date_added,
        k.due_date,
        k.ransomware,
        k.catalog_version,
    )


_EPSS_FIELDS = ("cve_id", "epss", "percentile", "score_date")


def _epss_row(e: EpssScore) -> Row:
    return (e.cve, e.epss, e.percentile, e.score_date)
