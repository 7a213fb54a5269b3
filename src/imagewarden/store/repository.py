"""The store: the one place that reads and writes the database.

Writes that belong together (one inventory import, one assessment) happen in one transaction,
so a failure leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Table, Text, bindparam, delete, func, insert, select, update
from sqlalchemy import cast as cast_to
from sqlalchemy.orm import Session

from imagewarden.model import (
    AssessmentRun,
    Asset,
    Finding,
    FindingStatus,
    Inventory,
    Observation,
    ObservationSource,
    Service,
    Severity,
    Site,
    SubjectKind,
    UserInputError,
)
from imagewarden.store import codec
from imagewarden.store.database import (
    WRITE,
    check_reachable,
    create_db_engine,
    current_revisions,
    migrate,
    resolve_url,
)
from imagewarden.store.schema import (
    AssessmentRow,
    AssetRow,
    FindingRow,
    ObservationRow,
    ServiceRow,
    SiteRow,
)

T = TypeVar("T")
_CHUNK = 500  # stays below SQLite's bound-parameter limit in IN (...) lists


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    sites_added: int
    assets_added: int
    assets_updated: int
    observations: int


@dataclass(frozen=True, slots=True)
class RecordedAssessment:
    """What an assessment wrote: the run, the findings as stored, and what changed."""

    run: AssessmentRun
    findings: list[Finding]
    new: int
    mitigated: int
    reopened: int
    conflicts: int
    """Findings whose status a person changed while the assessment ran (their decision kept)."""


@dataclass(frozen=True, slots=True)
class FindingFilter:
    site_id: str | None = None
    min_severity: Severity | None = None
    check_id: str | None = None
    status: FindingStatus | None = None
    asset_id: str | None = None


class Store:
    """Repository over one database (SQLite file by default, or any SQLAlchemy URL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, db: str | None = None, *, create: bool = False) -> Store:
        """Open the store; ``create`` makes or upgrades the schema (``imagewarden init``).

        Without ``create`` a database that was never initialised is refused with a hint,
        and an older schema is upgraded in place.
        """
        url = resolve_url(db)
        engine = create_db_engine(url)
        check_reachable(engine, url)
        if not create and not current_revisions(engine):
            engine.dispose()
            raise UserInputError(
                "the database is not initialised", hint="run 'imagewarden init' first"
            )
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- inventory ---------------------------------------------------------------------

    def save_inventory(self, inventory: Inventory, now: dt.datetime | None = None) -> ImportSummary:
        """Add or update the sites and assets of one import, all or nothing.

        The import is authoritative for the assets it names: their services are replaced and
        their imported observations are replaced, so a fact removed from the file is unknown
        again rather than stale.
        """
        now = now or dt.datetime.now(dt.UTC)
        with self.writer() as session, session.begin():
            site_ids = [s.id for s in inventory.sites]
            existing_sites = self._existing(session, SiteRow.id, site_ids)
            new_sites = [
                codec.site_row(s, now) for s in inventory.sites if s.id not in existing_sites
            ]
            old_sites = [codec.site_row(s, now) for s in inventory.sites if s.id in existing_sites]
            if new_sites:
                session.execute(insert(SiteRow), new_sites)
            if old_sites:
                session.execute(update(SiteRow), old_sites)

            asset_ids = [a.id for a in inventory.assets]
            existing_assets = self._existing(session, AssetRow.id, asset_ids)
            new_assets = [
                codec.asset_row(a, now) for a in inventory.assets if a.id not in existing_assets
            ]
            old_assets = [
                codec.asset_row(a, now) for a in inventory.assets if a.id in existing_assets
            ]
            if new_assets:
                session.execute(insert(AssetRow), new_assets)
            if old_assets:
                session.execute(update(AssetRow), old_assets)
            for chunk in _chunks(sorted(existing_assets)):
                session.execute(delete(ServiceRow).where(ServiceRow.asset_id.in_(chunk)))
            services = [codec.service_row(a.id, s) for a in inventory.assets for s in a.services]
            if services:
                session.execute(insert(ServiceRow), services)

            self._replace_observations(session, inventory)
        return ImportSummary(
            sites_added=len(new_sites),
            assets_added=len(new_assets),
            assets_updated=len(old_assets),
            observations=len(inventory.observations),
        )

    def _replace_observations(self, session: Session, inventory: Inventory) -> None:
        sources = {o.source.value for o in inventory.observations} or {
            ObservationSource.IMPORTED.value
        }
        subjects: dict[str, list[str]] = {
            SubjectKind.SITE.value: [s.id for s in inventory.sites],
            SubjectKind.ASSET.value: [a.id for a in inventory.assets],
            SubjectKind.SERVICE.value: [s.key(a.id) for a in inventory.assets for s in a.services],
        }
        for kind, ids in subjects.items():
            for chunk in _chunks(ids):
                session.execute(
                    delete(ObservationRow).where(
                        ObservationRow.subject_kind == kind,
                        ObservationRow.subject_id.in_(chunk),
                        ObservationRow.source.in_(sources),
                    )
                )
        rows = [codec.observation_row(o) for o in inventory.observations]
        if rows:
            session.execute(insert(ObservationRow), rows)

    @staticmethod
    def _existing(session: Session, column: Any, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            found.update(session.scalars(select(column).where(column.in_(chunk))))
        return found

    def sites(self) -> list[Site]:
        with Session(self.engine) as session:
            return [
                codec.site_from_row(r)
                for r in session.scalars(select(SiteRow).order_by(SiteRow.id))
            ]

    def assets(self, site_id: str | None = None) -> list[Asset]:
        services: dict[str, list[Service]] = {}
        service_query = select(*ServiceRow.__table__.columns).order_by(
            ServiceRow.asset_id, ServiceRow.port
        )
        query = select(*AssetRow.__table__.columns).order_by(AssetRow.site_id, AssetRow.id)
        if site_id is not None:
            query = query.where(AssetRow.site_id == site_id)
        with self.engine.connect() as connection:
            for row in connection.execute(service_query):
                services.setdefault(row.asset_id, []).append(codec.service_from_row(row))
            return [
                codec.asset_from_row(row, tuple(services.get(row.id, ())))
                for row in connection.execute(query)
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
        with self.engine.connect() as connection:
            return [codec.observation_from_row(r) for r in connection.execute(query)]

    def counts(self) -> dict[str, int]:
        with Session(self.engine) as session:
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

    # --- findings ----------------------------------------------------------------------

    def findings(self, where: FindingFilter | None = None) -> list[Finding]:
        where = where or FindingFilter()
        query = select(*_finding_columns())
        if where.site_id is not None:
            query = query.where(FindingRow.site_id == where.site_id)
        if where.check_id is not None:
            query = query.where(FindingRow.check_id == where.check_id)
        if where.status is not None:
            query = query.where(FindingRow.status == where.status.value)
        if where.asset_id is not None:
            query = query.where(FindingRow.asset_id == where.asset_id)
        if where.min_severity is not None:
            allowed = [s.value for s in Severity if s.rank >= where.min_severity.rank]
            query = query.where(FindingRow.severity.in_(allowed))
        query = query.order_by(FindingRow.risk_score.desc(), FindingRow.id)
        with self.engine.connect() as connection:
            return [codec.finding_from_row(r) for r in connection.execute(query)]

    def writer(self) -> Session:
        """A session for one write transaction (takes SQLite's write lock up front)."""
        return Session(self.engine.execution_options(**WRITE))

    def record_assessment(
        self,
        findings: Iterable[Finding],
        previous: Mapping[str, Finding],
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        catalog_version: str,
        assets: int,
    ) -> RecordedAssessment:
        """Write the merged result of an assessment in place, in one transaction.

        ``previous`` is what the assessment read before it evaluated. Facts (title, severity,
        risk, evidence, last_seen) are always updated. Lifecycle fields (status, reason,
        acceptance date) change only where the merge changed them AND the row's revision is
        still the one that was read: a decision a person recorded while the assessment ran
        is never overwritten (compare-and-set). Such findings are reported as conflicts and
        keep the person's decision.
        """
        findings = list(findings)
        with self.writer() as session, session.begin():
            run = AssessmentRow(
                started_at=started_at,
                finished_at=finished_at,
                catalog_version=catalog_version,
                assets=assets,
                findings_open=0,
                findings_new=0,
                findings_mitigated=0,
            )
            session.add(run)
            session.flush()
            added = [f for f in findings if f.id not in previous]
            kept = [f for f in findings if f.id in previous]
            inserted = self._insert_new_findings(session, added, run.id)
            moved = self._moved_since(session, previous)
            self._update_finding_facts(session, kept, run.id)
            changed = [
                f for f in kept if f.id not in moved and _lifecycle(f) != _lifecycle(previous[f.id])
            ]
            self._set_lifecycles(session, changed, previous)
            conflicts = {
                f.id for f in kept if f.id in moved and _lifecycle(f) != _lifecycle(previous[f.id])
            }
            counted = _status_counts(changed, previous)
            run.findings_new = len(inserted)
            run.findings_mitigated = counted["mitigated"]
            run.findings_open = (
                session.scalar(
                    select(func.count())
                    .select_from(FindingRow)
                    .where(FindingRow.status == FindingStatus.OPEN.value)
                )
                or 0
            )
            # Rows another writer touched are returned as stored, not as this run merged them.
            stored = self._findings_by_id(
                session, sorted(moved | {f.id for f in added if f.id not in inserted})
            )
            result = [stored.get(f.id, f) for f in findings]
            return RecordedAssessment(
                run=_run_from_row(run),
                findings=result,
                new=len(inserted),
                mitigated=counted["mitigated"],
                reopened=counted["reopened"],
                conflicts=len(conflicts),
            )

    def _insert_new_findings(
        self, session: Session, findings: Sequence[Finding], assessment_id: int
    ) -> set[str]:
        """Insert findings never seen before; returns the ids actually inserted (a row that
        appeared meanwhile is left as it is)."""
        if not findings:
            return set()
        existing = self._existing(session, FindingRow.id, [f.id for f in findings])
        fresh = [f for f in findings if f.id not in existing]
        rows = codec.finding_rows(fresh, assessment_id)
        statement = _finding_insert(self.engine.dialect.name)
        for start in range(0, len(rows), 5000):
            session.execute(statement, rows[start : start + 5000])
        return {f.id for f in fresh}

    @staticmethod
    def _update_finding_facts(
        session: Session, findings: Sequence[Finding], assessment_id: int
    ) -> None:
        """What the assessment observed, never the lifecycle fields a person may own."""
        if not findings:
            return
        columns = (
            "check_id",
            "subject_kind",
            "subject_id",
            "title",
            "severity",
            "risk_score",
            "site_id",
            "asset_id",
            "last_seen",
            "assessment_id",
            *codec.FINDING_JSON_COLUMNS,
        )
        # Only these keys: Core adds any other column named in the parameters to the SET
        # clause, which would write the stale lifecycle fields this update must not touch.
        rows = [
            {"key": row["id"]} | {name: row[name] for name in columns}
            for row in codec.finding_rows(findings, assessment_id)
        ]
        table = cast(Table, FindingRow.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("key"))
            .values(
                {
                    name: _json_bind(name, session)
                    if name in codec.FINDING_JSON_COLUMNS
                    else bindparam(name)
                    for name in columns
                }
            )
        )
        for start in range(0, len(rows), 5000):
            session.connection().execute(statement, rows[start : start + 5000])

    @staticmethod
    def _moved_since(session: Session, previous: Mapping[str, Finding]) -> set[str]:
        """Findings whose lifecycle someone changed after the assessment read them.

        Inside the write transaction: SQLite's write lock is held (BEGIN IMMEDIATE) and on
        PostgreSQL the rows are locked (FOR UPDATE), so nobody can change them until commit.
        """
        table = cast(Table, FindingRow.__table__)
        moved: set[str] = set()
        connection = session.connection()
        for chunk in _chunks(sorted(previous)):
            query = (
                select(table.c.id, table.c.revision).where(table.c.id.in_(chunk)).with_for_update()
            )
            for key, revision in connection.execute(query):
                if revision != previous[key].revision:
                    moved.add(key)
        return moved

    @staticmethod
    def _set_lifecycles(
        session: Session, findings: Sequence[Finding], previous: Mapping[str, Finding]
    ) -> None:
        """Write each changed lifecycle, guarded by the revision that was read."""
        if not findings:
            return
        table = cast(Table, FindingRow.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("key"), table.c.revision == bindparam("read"))
            .values(
                status=bindparam("status"),
                status_reason=bindparam("status_reason"),
                accepted_until=bindparam("accepted_until"),
                mitigated_at=bindparam("mitigated_at"),
                revision=table.c.revision + 1,
            )
        )
        rows = [
            {
                "key": f.id,
                "read": previous[f.id].revision,
                "status": f.status.value,
                "status_reason": f.status_reason,
                "accepted_until": f.accepted_until,
                "mitigated_at": f.mitigated_at,
            }
            for f in findings
        ]
        connection = session.connection()
        for start in range(0, len(rows), 5000):
            connection.execute(statement, rows[start : start + 5000])

    @staticmethod
    def _findings_by_id(session: Session, ids: Sequence[str]) -> dict[str, Finding]:
        found: dict[str, Finding] = {}
        connection = session.connection()
        for chunk in _chunks(ids):
            query = select(*_finding_columns()).where(FindingRow.id.in_(chunk))
            for row in connection.execute(query):
                found[row.id] = codec.finding_from_row(row)
        return found

    def latest_assessment(self) -> AssessmentRun | None:
        with Session(self.engine) as session:
            row = session.scalars(select(AssessmentRow).order_by(AssessmentRow.id.desc())).first()
            return _run_from_row(row) if row else None

    def set_finding_status(
        self,
        finding_id: str,
        status: FindingStatus,
        reason: str,
        accepted_until: dt.date | None = None,
    ) -> Finding:
        """Record a person's decision about a finding; it survives a running assessment."""
        with self.writer() as session, session.begin():
            row = session.get(FindingRow, finding_id)
            if row is None:
                raise UserInputError(
                    f"no finding with id {finding_id!r}", hint="see 'imagewarden findings list'"
                )
            row.status = status.value
            row.status_reason = reason
            row.accepted_until = accepted_until
            row.revision = row.revision + 1
            session.flush()
            return codec.finding_from_row(row)


def _lifecycle(finding: Finding) -> tuple[object, ...]:
    return (
        finding.status,
        finding.status_reason,
        finding.accepted_until,
        finding.mitigated_at,
    )


def _status_counts(changed: Sequence[Finding], previous: Mapping[str, Finding]) -> dict[str, int]:
    """Mitigations and reopenings this run wrote."""
    counts = {"mitigated": 0, "reopened": 0}
    for finding in changed:
        before = previous[finding.id].status
        if finding.status is FindingStatus.MITIGATED and before is not FindingStatus.MITIGATED:
            counts["mitigated"] += 1
        elif finding.status is FindingStatus.OPEN and before is not FindingStatus.OPEN:
            counts["reopened"] += 1
    return counts


def _json_bind(name: str, session: Session) -> Any:
    return _json_text_bind(FindingRow.__table__.c[name], session.get_bind().dialect.name)


def _json_text_bind(column: Any, dialect: str) -> Any:
    """A bind taking the codec's JSON text as is (a JSON-typed bind would encode it again).

    PostgreSQL needs the text cast to its json type; SQLite stores JSON as text already.
    """
    text = bindparam(column.name, type_=Text())
    return cast_to(text, column.type) if dialect == "postgresql" else text


def _finding_columns() -> list[Any]:
    """Finding columns, the JSON ones as text (decoded, with memoisation, by the codec)."""
    return [
        cast_to(column, Text).label(column.name)
        if column.name in codec.FINDING_JSON_COLUMNS
        else column
        for column in FindingRow.__table__.columns
    ]


def _finding_insert(dialect: str) -> Any:
    """INSERT of codec rows, the JSON columns as text."""
    table = cast(Table, FindingRow.__table__)

    def value(column: Any) -> Any:
        if column.name not in codec.FINDING_JSON_COLUMNS:
            return bindparam(column.name)
        return _json_text_bind(column, dialect)

    return insert(table).values({column.name: value(column) for column in table.columns})


def _run_from_row(row: AssessmentRow) -> AssessmentRun:
    return AssessmentRun(
        id=row.id,
        started_at=codec.utc(row.started_at),
        finished_at=codec.utc(row.finished_at),
        catalog_version=row.catalog_version,
        assets=row.assets,
        findings_open=row.findings_open,
        findings_new=row.findings_new,
        findings_mitigated=row.findings_mitigated,
    )
