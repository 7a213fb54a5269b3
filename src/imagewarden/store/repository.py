"""The store: the one place that reads and writes the database.

Writes that belong together (one inventory import, one assessment) happen in one transaction,
so a failure leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from imagewarden.model import (
    Asset,
    Collected,
    Inventory,
    Observation,
    ObservationSource,
    Service,
    Site,
    SubjectKind,
    UserInputError,
)
from imagewarden.store import audit, codec
from imagewarden.store.audit import AuditEntry, AuditRow, ChainCheck, Change
from imagewarden.store.bulk import batches, insert_rows
from imagewarden.store.chunks import FETCH, chunks
from imagewarden.store.database import (
    WRITE,
    create_db_engine,
    create_sqlite_file,
    display_url,
    resolve_url,
    sqlite_path,
)
from imagewarden.store.errors import translated
from imagewarden.store.findings import FindingRecords
from imagewarden.store.observations import (
    ObservationBatch,
    SubjectFacts,
    latest_facts,
    replace_observations,
)
from imagewarden.store.schema import (
    AssessmentRow,
    AssetRow,
    FindingRow,
    ObservationRow,
    ServiceRow,
    SiteRow,
)
from imagewarden.store.schema_versions import (
    Schema,
    SchemaState,
    SchemaStatus,
    backup_sqlite,
    require_current,
    state,
    upgrade,
)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    sites_added: int
    assets_added: int
    assets_updated: int
    observations: int


@dataclass(frozen=True, slots=True)
class CollectedSummary:
    """What applying a collector's findings added."""

    sites_added: int
    assets_added: int
    services: int
    observations: int


@dataclass(frozen=True, slots=True)
class UpgradeOutcome:
    """What ``db upgrade`` did."""

    before: SchemaState
    after: SchemaState
    backup: Path | None
    """The copy of the SQLite file made before migrating, if one was made."""


class Store(FindingRecords):
    """Repository over one database (SQLite file by default, or any SQLAlchemy URL)."""

    def __init__(self, engine: Engine, url: str = "") -> None:
        self.engine = engine
        self.url = url or engine.url.render_as_string(hide_password=False)

    @classmethod
    def open(
        cls, db: str | None = None, *, schema: Schema | None = None, create: bool = False
    ) -> Store:
        """Open the store at ``db`` (see ``resolve_url``).

        Without ``create`` the database must exist and be at ``schema``'s current revision;
        otherwise it is refused unchanged (exit 2) with a hint (``init``, ``db upgrade``). A
        missing SQLite file is not created. With ``create`` (``imagewarden init``) a new
        database is created, owner-only, at the current schema; an existing one at an older
        revision is upgraded after a copy of it is made beside it.
        """
        schema = schema or Schema()
        url = resolve_url(db)
        path = sqlite_path(url)
        if path is not None and not create and not path.is_file():
            raise UserInputError(
                f"no database at {path}", hint="run 'imagewarden init' first, or check --db"
            )
        created = False
        if path is not None and create and not path.exists():
            create_sqlite_file(path)
            created = True
        engine = create_db_engine(url)
        try:
            with translated():
                if create:
                    _initialise(engine, schema, path)
                else:
                    require_current(engine, schema)
        except BaseException:
            engine.dispose()
            if created and path is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise
        return cls(engine, url)

    @classmethod
    def upgrade(cls, db: str | None = None, *, schema: Schema | None = None) -> UpgradeOutcome:
        """``imagewarden db upgrade``: migrate to the current schema, SQLite copied aside first."""
        schema = schema or Schema()
        url = resolve_url(db)
        path = sqlite_path(url)
        if path is not None and not path.is_file():
            raise UserInputError(f"no database at {path}", hint="run 'imagewarden init' instead")
        engine = create_db_engine(url)
        try:
            with translated():
                before = state(engine, schema)
                if before.status is SchemaStatus.EMPTY:
                    raise UserInputError(
                        "the database is not initialised", hint="run 'imagewarden init'"
                    )
                backup = None
                if before.status is SchemaStatus.BEHIND:
                    if path is not None:
                        backup = backup_sqlite(path, "pre-upgrade")
                    upgrade(engine, schema)
                elif before.status is SchemaStatus.UNKNOWN:
                    require_current(engine, schema)
                after = state(engine, schema)
        finally:
            engine.dispose()
        return UpgradeOutcome(before, after, backup)

    @property
    def display_url(self) -> str:
        """Where this store is, password hidden."""
        return display_url(self.url)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads (no commit). Database errors become one-line errors."""
        with translated(), Session(self.engine) as session:
            yield session

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        """A session in one write transaction: committed when the block ends normally,
        rolled back on any exception. On SQLite it takes the write lock up front."""
        with translated(), self.writer() as session, session.begin():
            yield session

    def writer(self) -> Session:
        """A session for one write transaction (takes SQLite's write lock up front)."""
        return Session(self.engine.execution_options(**WRITE))

    @contextlib.contextmanager
    def changing(self, actor: str, action: str, target: str) -> Iterator[Change]:
        """A write transaction that records one audited change.

        Set ``change.before`` and ``change.after`` in the block (JSON-ready, never patient
        data); the audit entry is appended in the same transaction, so the change and its
        record commit or roll back together.
        """
        with self.writing() as session:
            change = Change(session, actor, action, target)
            yield change
            audit.append(change)

    def audit_entries(
        self,
        *,
        action: str | None = None,
        actor: str | None = None,
        limit: int = 0,
        target: str | None = None,
        before: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries, newest first (see ``audit.entries`` for the filters)."""
        with self.reading() as session:
            return list(
                audit.entries(
                    session, action=action, actor=actor, limit=limit, target=target,
                    before=before,
                )
            )  # fmt: skip

    def audit_actions(self) -> list[str]:
        """Every action the audit log holds, sorted."""
        with self.reading() as session:
            return audit.actions(session)

    def verify_audit(self) -> ChainCheck:
        """Recompute the audit chain; names the first edited, deleted or reordered row."""
        with self.reading() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.id)).yield_per(2000)
            return audit.verify_chain(rows)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection for large reads (rows, not ORM objects: ten times faster)."""
        with translated(), self.engine.connect() as connection:
            yield connection

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A Core connection whose reads all see the store as it was at the first one: one
        read transaction (repeatable read on PostgreSQL), so a report that reads in several
        passes sees the same findings in each."""
        with translated(), self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- inventory ---------------------------------------------------------------------

    def save_inventory(
        self,
        inventory: Inventory,
        now: dt.datetime | None = None,
        *,
        actor: str | None = None,
        source: str = "",
    ) -> ImportSummary:
        """Add or update the sites and assets of one import, all or nothing.

        The import is authoritative for the assets it names: their services are replaced and
        their imported observations are replaced, so a fact removed from the file is unknown
        again rather than stale. With ``actor`` (a person or a worker importing), the import
        is one audit entry ``inventory.import`` naming ``source``.
        """
        now = now or dt.datetime.now(dt.UTC)
        if actor is None:
            with self.writing() as session:
                return self._save_inventory(session, inventory, now)
        with self.changing(actor, "inventory.import", source[:300] or "inventory") as change:
            summary = self._save_inventory(change.session, inventory, now)
            change.after = {
                "sites": len(inventory.sites),
                "sites_added": summary.sites_added,
                "assets_added": summary.assets_added,
                "assets_updated": summary.assets_updated,
                "observations": summary.observations,
            }
            return summary

    def _save_inventory(
        self, session: Session, inventory: Inventory, now: dt.datetime
    ) -> ImportSummary:
        """The writes of ``save_inventory`` in ``session``'s transaction."""
        site_ids = [s.id for s in inventory.sites]
        existing_sites = self._existing(session, SiteRow.id, site_ids)
        new_sites = [codec.site_row(s, now) for s in inventory.sites if s.id not in existing_sites]
        old_sites = [codec.site_row(s, now) for s in inventory.sites if s.id in existing_sites]
        if new_sites:
            session.execute(insert(SiteRow), new_sites)
        if old_sites:
            session.execute(update(SiteRow), old_sites)

        asset_ids = [a.id for a in inventory.assets]
        existing_assets = self._existing(session, AssetRow.id, asset_ids)
        # Rows are made a batch at a time: a large inventory's rows would all be held at once.
        assets_added = insert_rows(
            session,
            AssetRow,
            (codec.asset_row(a, now) for a in inventory.assets if a.id not in existing_assets),
        )
        updated = (codec.asset_row(a, now) for a in inventory.assets if a.id in existing_assets)
        assets_updated = 0
        for batch in batches(updated):
            session.execute(update(AssetRow), batch)
            assets_updated += len(batch)
        for chunk in chunks(sorted(existing_assets)):
            session.execute(delete(ServiceRow).where(ServiceRow.asset_id.in_(chunk)))
        services = (codec.service_row(a.id, s) for a in inventory.assets for s in a.services)
        insert_rows(session, ServiceRow, services)

        replace_observations(session, self._inventory_batch(inventory))
        return ImportSummary(
            sites_added=len(new_sites),
            assets_added=assets_added,
            assets_updated=assets_updated,
            observations=len(inventory.observations),
        )

    @staticmethod
    def _inventory_batch(inventory: Inventory) -> ObservationBatch:
        """An import is authoritative for every subject it names."""
        sources = {o.source for o in inventory.observations} or {ObservationSource.IMPORTED}
        if len(sources) > 1:
            raise ValueError(f"an inventory holds observations of one source, not {sources}")
        subjects = [
            *((SubjectKind.SITE, s.id) for s in inventory.sites),
            *((SubjectKind.ASSET, a.id) for a in inventory.assets),
            *((SubjectKind.SERVICE, s.key(a.id)) for a in inventory.assets for s in a.services),
        ]
        return ObservationBatch(sources.pop(), tuple(inventory.observations), tuple(subjects))

    def apply_collected(
        self, collected: Collected, batch: ObservationBatch, *, actor: str, action: str, target: str
    ) -> CollectedSummary:
        """Apply what a collector found, with its observations, as one audited change.

        Sites and unmanaged assets are added when missing (stored ones are not rewritten);
        each service is added or replaces the one on its protocol and port (the asset's other
        services stay); the batch replaces only what it is authoritative for.
        """
        with self.changing(actor, action, target) as change:
            summary = write_collected(change.session, collected, batch)
            change.after = {
                "sites_added": summary.sites_added,
                "assets_added": summary.assets_added,
                "services": summary.services,
                "observations": summary.observations,
            }
            return summary

    def apply_observations(self, batch: ObservationBatch) -> int:
        """Replace what the batch's collector knew with what it now knows, in one transaction."""
        with self.writing() as session:
            return replace_observations(session, batch)

    @staticmethod
    def _existing(session: Session, column: Any, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            found.update(session.scalars(select(column).where(column.in_(chunk))))
        return found

    def sites(self) -> list[Site]:
        with self.reading() as session:
            return [
                codec.site_from_row(r)
                for r in session.scalars(select(SiteRow).order_by(SiteRow.id))
            ]

    def assets(self, site_id: str | None = None) -> list[Asset]:
        services: dict[str, list[Service]] = {}
        # Alike services (protocol, port, flags) are one object: a large inventory has a few
        # thousand kinds of service and many times more services. The columns an Asset does
        # not hold (row ids, update times) are not read: their conversion costs per row.
        alike: dict[tuple[Any, ...], Service] = {}
        # the asset id first, then what makes a service (its row's ``values`` below)
        service_columns = [
            ServiceRow.asset_id,
            *(c for c in ServiceRow.__table__.columns if c.name not in ("id", "asset_id")),
        ]
        service_query = select(*service_columns).order_by(ServiceRow.asset_id, ServiceRow.port)
        asset_columns = [AssetRow.__table__.c[name] for name in codec.ASSET_COLUMNS]
        query = select(*asset_columns).order_by(AssetRow.site_id, AssetRow.id)
        if site_id is not None:
            query = query.where(AssetRow.site_id == site_id)
        with self.connection() as connection:
            for row in connection.execute(service_query).yield_per(FETCH):
                values = tuple(row)[1:]
                service = alike.get(values)
                if service is None:
                    service = alike[values] = codec.service_from_row(row)
                services.setdefault(row.asset_id, []).append(service)
            return [
                codec.asset_from_values(row, tuple(services.get(row[0], ())))
                for row in connection.execute(query).yield_per(FETCH)
            ]

    def observations(
        self,
        *,
        names: Sequence[str] | None = None,
        source: ObservationSource | None = None,
        subject_kind: SubjectKind | None = None,
    ) -> list[Observation]:
        """Observations, optionally only of some facts, one source or one kind of subject."""
        # Core rows, not ORM objects: ten times faster for the 100k+ rows of a large enterprise.
        query = select(*ObservationRow.__table__.columns).order_by(ObservationRow.id)
        if names is not None:
            query = query.where(ObservationRow.name.in_(list(names)))
        if source is not None:
            query = query.where(ObservationRow.source == source.value)
        if subject_kind is not None:
            query = query.where(ObservationRow.subject_kind == subject_kind.value)
        with self.connection() as connection:
            rows = connection.execute(query).yield_per(FETCH)
            return [codec.observation_from_row(r) for r in rows]

    def latest_facts(self) -> SubjectFacts:
        """Per subject, the newest value of every observed fact (see ``observations``)."""
        with self.connection() as connection:
            return latest_facts(connection)

    def asset(self, asset_id: str) -> Asset:
        """The asset ``asset_id`` (with its services); an unknown id is the user's error,
        with the nearest ids as a hint."""
        with self.connection() as connection:
            row = connection.execute(
                select(*AssetRow.__table__.columns).where(AssetRow.id == asset_id)
            ).first()
            if row is not None:
                services = connection.execute(
                    select(*ServiceRow.__table__.columns)
                    .where(ServiceRow.asset_id == asset_id)
                    .order_by(ServiceRow.port)
                )
                return codec.asset_from_row(row, tuple(codec.service_from_row(s) for s in services))
            ids = list(connection.scalars(select(AssetRow.id)))
        raise UserInputError(
            f"no asset with id {asset_id[:60]!r}", hint=_nearest(asset_id, ids, "asset")
        )

    def site(self, site_id: str) -> Site:
        """The site ``site_id``; an unknown id is the user's error, with the known ids."""
        for site in self.sites():
            if site.id == site_id:
                return site
        known = [s.id for s in self.sites()]
        raise UserInputError(
            f"unknown site {site_id[:60]!r}", hint=_nearest(site_id, known, "site")
        )

    def counts(self) -> dict[str, int]:
        with self.reading() as session:
            return {
                name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in (
                    ("sites", SiteRow),
                    ("assets", AssetRow),
                    ("services", ServiceRow),
                    ("observations", ObservationRow),
                    ("findings", FindingRow),
                    ("assessments", AssessmentRow),
                )
            }

    def managed_counts(self) -> tuple[int, int]:
        """Managed assets (the inventory's) and unmanaged hosts (found by discovery, capture
        analysis or a scan, not in the inventory), read together: counted apart wherever
        assets are counted."""
        query = select(AssetRow.managed, func.count()).group_by(AssetRow.managed)
        with self.reading() as session:
            counts = {bool(managed): n for managed, n in session.execute(query)}
        return counts.get(True, 0), counts.get(False, 0)


def _nearest(wanted: str, known: Sequence[str], kind: str) -> str:
    """A hint for an unknown id: the closest known ones, or how to list them."""
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + ", ".join(repr(c) for c in close) + "?"
    if len(known) <= 8:
        return f"{kind}s: {', '.join(known) or 'none imported'}"
    return f"see 'imagewarden {kind}s list'" if kind == "asset" else f"{len(known)} {kind}s"


def write_collected(
    session: Session,
    collected: Collected,
    batch: ObservationBatch,
    now: dt.datetime | None = None,
) -> CollectedSummary:
    """``Store.apply_collected`` in the caller's transaction, for a collector that writes rows
    of its own (e.g. capture analysis: the capture and its flows) in the same audited change."""
    now = now or dt.datetime.now(dt.UTC)
    sites = {s.id: s for s in collected.new_sites}
    missing_sites = sites.keys() - Store._existing(session, SiteRow.id, sorted(sites))
    if missing_sites:
        session.execute(
            insert(SiteRow), [codec.site_row(sites[i], now) for i in sorted(missing_sites)]
        )
    assets = {a.id: a for a in collected.new_assets}
    missing = assets.keys() - Store._existing(session, AssetRow.id, sorted(assets))
    if missing:
        session.execute(
            insert(AssetRow), [codec.asset_row(assets[i], now) for i in sorted(missing)]
        )
    for asset_id, service in collected.services:
        session.execute(
            delete(ServiceRow).where(
                ServiceRow.asset_id == asset_id,
                ServiceRow.protocol == service.protocol.value,
                ServiceRow.port == service.port,
            )
        )
    if collected.services:
        session.execute(
            insert(ServiceRow), [codec.service_row(a, s) for a, s in collected.services]
        )
    written = replace_observations(session, batch)
    return CollectedSummary(
        sites_added=len(missing_sites),
        assets_added=len(missing),
        services=len(collected.services),
        observations=written,
    )


def _initialise(engine: Engine, schema: Schema, path: Path | None) -> None:
    """``init``: create the schema, or upgrade an older one (an SQLite file copied first)."""
    found = state(engine, schema)
    if found.status is SchemaStatus.CURRENT:
        return
    if found.status is SchemaStatus.BEHIND and path is not None:
        backup_sqlite(path, "pre-upgrade")
    upgrade(engine, schema)
