"""Read models for people browsing a large enterprise: pages of findings and assets, and the
aggregates a dashboard shows, computed by the database rather than by loading every row.

A page is a filter, a sort and a window (offset, limit) with the total count; the site scope
(``sites``) narrows everything for a person limited to some sites.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Select, and_, case, func, literal, or_, select

from imagewarden.model import (
    AssessmentRun,
    Asset,
    Finding,
    FindingStatus,
    Observation,
    Severity,
    SubjectKind,
)
from imagewarden.store import codec
from imagewarden.store.findings import _finding_columns, _run_from_row
from imagewarden.store.schema import (
    AssessmentRow,
    AssetRow,
    FindingRow,
    ObservationRow,
    ServiceRow,
    SiteRow,
)

if TYPE_CHECKING:
    from imagewarden.store.repository import Store

CURRENT = (FindingStatus.OPEN.value, FindingStatus.ACCEPTED.value)
"""Statuses that are current risk (an accepted risk is still a risk)."""


class FindingSort(StrEnum):
    """Columns a findings page can be sorted by."""

    RISK = "risk"
    TITLE = "title"
    SITE = "site"
    STATUS = "status"
    FIRST_SEEN = "first_seen"
    LAST_SEEN = "last_seen"


_SORT_COLUMNS: Mapping[FindingSort, Any] = {
    FindingSort.RISK: FindingRow.risk_score,
    FindingSort.TITLE: FindingRow.title,
    FindingSort.SITE: FindingRow.site_id,
    FindingSort.STATUS: FindingRow.status,
    FindingSort.FIRST_SEEN: FindingRow.first_seen,
    FindingSort.LAST_SEEN: FindingRow.last_seen,
}


@dataclass(frozen=True, slots=True)
class FindingSearch:
    """Which findings, in which order, which window."""

    sites: frozenset[str] | None = None
    """Only these sites (a person's scope); None: every site."""
    site_id: str | None = None
    min_severity: Severity | None = None
    severity: Severity | None = None
    status: FindingStatus | None = None
    current_only: bool = False
    """Only open and accepted findings."""
    check_id: str | None = None
    asset_id: str | None = None
    text: str = ""
    """Case-insensitive part of the title, id, subject or check."""
    sort: FindingSort = FindingSort.RISK
    descending: bool = True
    offset: int = 0
    limit: int = 50


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One window of a longer list."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int


def _like(text: str) -> str:
    escaped = text.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _finding_where(query: Select[Any], search: FindingSearch) -> Select[Any]:
    if search.sites is not None:
        query = query.where(FindingRow.site_id.in_(sorted(search.sites)))
    if search.site_id is not None:
        query = query.where(FindingRow.site_id == search.site_id)
    if search.min_severity is not None:
        allowed = [s.value for s in Severity if s.rank >= search.min_severity.rank]
        query = query.where(FindingRow.severity.in_(allowed))
    if search.severity is not None:
        query = query.where(FindingRow.severity == search.severity.value)
    if search.status is not None:
        query = query.where(FindingRow.status == search.status.value)
    if search.current_only:
        query = query.where(FindingRow.status.in_(CURRENT))
    if search.check_id is not None:
        query = query.where(FindingRow.check_id == search.check_id)
    if search.asset_id is not None:
        query = query.where(FindingRow.asset_id == search.asset_id)
    if search.text.strip():
        pattern = _like(search.text.strip())
        query = query.where(
            or_(
                func.lower(FindingRow.title).like(pattern, escape="!"),
                func.lower(FindingRow.id).like(pattern, escape="!"),
                func.lower(FindingRow.subject_id).like(pattern, escape="!"),
                func.lower(FindingRow.check_id).like(pattern, escape="!"),
            )
        )
    return query


def finding_page(store: Store, search: FindingSearch) -> Page[Finding]:
    """One page of findings matching ``search``, with the total that match."""
    column = _SORT_COLUMNS[search.sort]
    order = column.desc() if search.descending else column.asc()
    tie = FindingRow.id.desc() if search.descending else FindingRow.id.asc()
    rows = (
        _finding_where(select(*_finding_columns()), search)
        .order_by(order, tie)
        .offset(search.offset)
        .limit(search.limit)
    )
    count = _finding_where(select(func.count()).select_from(FindingRow), search)
    with store.connection() as connection:
        items = tuple(codec.finding_from_row(r) for r in connection.execute(rows))
        total = int(connection.scalar(count) or 0)
    return Page(items, total, search.offset, search.limit)


def finding(store: Store, finding_id: str) -> Finding | None:
    """The finding with exactly this id, if any."""
    query = select(*_finding_columns()).where(FindingRow.id == finding_id)
    with store.connection() as connection:
        row = connection.execute(query).first()
    return codec.finding_from_row(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class FindingCounts:
    """Findings per site, severity and status."""

    rows: tuple[tuple[str, Severity, FindingStatus, int], ...]
    """(site id, severity, status, count) for every combination present."""


def finding_counts(store: Store, sites: Collection[str] | None = None) -> FindingCounts:
    """How many findings each site has per severity and status."""
    query = select(
        FindingRow.site_id, FindingRow.severity, FindingRow.status, func.count()
    ).group_by(FindingRow.site_id, FindingRow.severity, FindingRow.status)
    if sites is not None:
        query = query.where(FindingRow.site_id.in_(sorted(sites)))
    with store.connection() as connection:
        rows = tuple(
            (site, Severity(severity), FindingStatus(status), int(n))
            for site, severity, status, n in connection.execute(query)
        )
    return FindingCounts(rows)


@dataclass(frozen=True, slots=True)
class ReadinessLoads:
    """The inputs of the readiness score, summed by the database (see report.readiness)."""

    asset_load: float
    """Sum over assets of min(sum of current findings' severity weights, cap)."""
    site_load: float
    """The same over site-wide findings, per site."""
    assets: int
    """Assets in the inventory plus assets only findings name."""
    sites: int
    any_critical: bool


def readiness_loads(
    store: Store,
    weights: Mapping[Severity, float],
    cap: float,
    sites: Collection[str] | None = None,
) -> ReadinessLoads:
    """Sum capped loads of current findings per asset and per site, in the database."""
    weight = case(
        *((FindingRow.severity == s.value, literal(w)) for s, w in weights.items()),
        else_=literal(0.0),
    )
    current = FindingRow.status.in_(CURRENT)
    scope = FindingRow.site_id.in_(sorted(sites)) if sites is not None else literal(True)

    def capped(key: Any, where: Any) -> Any:
        loads = (
            select(func.sum(weight).label("load"))
            .where(current, scope, where)
            .group_by(key)
            .subquery()
        )
        load = loads.c.load
        return select(func.coalesce(func.sum(case((load > cap, cap), else_=load)), 0.0))

    asset_scope = AssetRow.site_id.in_(sorted(sites)) if sites is not None else literal(True)
    site_scope = SiteRow.id.in_(sorted(sites)) if sites is not None else literal(True)
    orphans = (
        select(func.count(func.distinct(FindingRow.asset_id)))
        .select_from(FindingRow)
        .where(current, scope, FindingRow.asset_id.is_not(None))
        .where(~FindingRow.asset_id.in_(select(AssetRow.id)))
    )
    site_orphans = (
        select(func.count(func.distinct(FindingRow.site_id)))
        .select_from(FindingRow)
        .where(current, scope, FindingRow.asset_id.is_(None))
        .where(~FindingRow.site_id.in_(select(SiteRow.id)))
    )
    critical = (
        select(func.count())
        .select_from(FindingRow)
        .where(current, scope, FindingRow.severity == Severity.CRITICAL.value)
    )
    with store.connection() as connection:
        asset_load = float(
            connection.scalar(capped(FindingRow.asset_id, FindingRow.asset_id.is_not(None))) or 0.0
        )
        site_load = float(
            connection.scalar(capped(FindingRow.site_id, FindingRow.asset_id.is_(None))) or 0.0
        )
        assets = int(
            connection.scalar(select(func.count()).select_from(AssetRow).where(asset_scope)) or 0
        )
        assets += int(connection.scalar(orphans) or 0)
        site_count = int(
            connection.scalar(select(func.count()).select_from(SiteRow).where(site_scope)) or 0
        )
        site_count += int(connection.scalar(site_orphans) or 0)
        any_critical = bool(connection.scalar(critical))
    return ReadinessLoads(asset_load, site_load, assets, site_count, any_critical)


def assessment_history(store: Store, limit: int = 12) -> list[AssessmentRun]:
    """The latest ``limit`` assessments, oldest first."""
    query = select(AssessmentRow).order_by(AssessmentRow.id.desc()).limit(limit)
    with store.reading() as session:
        return [_run_from_row(r) for r in reversed(list(session.scalars(query)))]


def change_mark(store: Store) -> tuple[int, int]:
    """(latest audit entry, latest assessment): changes when any finding or asset may have.

    Every decision, import and assessment is audited, so a cache keyed by this is fresh.
    """
    from imagewarden.store.audit import AuditRow

    with store.connection() as connection:
        audit = connection.scalar(select(func.max(AuditRow.id))) or 0
        run = connection.scalar(select(func.max(AssessmentRow.id))) or 0
    return int(audit), int(run)


@dataclass(frozen=True, slots=True)
class AssetSearch:
    """Which assets, which window; every field narrows the list."""

    sites: frozenset[str] | None = None
    site_id: str | None = None
    asset_type: str | None = None
    text: str = ""
    """Case-insensitive part of the id, name, hostname, vendor or model."""
    offset: int = 0
    limit: int = 50


def _asset_where(query: Select[Any], search: AssetSearch) -> Select[Any]:
    if search.sites is not None:
        query = query.where(AssetRow.site_id.in_(sorted(search.sites)))
    if search.site_id is not None:
        query = query.where(AssetRow.site_id == search.site_id)
    if search.asset_type is not None:
        query = query.where(AssetRow.type == search.asset_type)
    if search.text.strip():
        pattern = _like(search.text.strip())
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="!")
                    for column in (
                        AssetRow.id,
                        AssetRow.name,
                        AssetRow.hostname,
                        AssetRow.vendor,
                        AssetRow.model,
                    )
                )
            )
        )
    return query


def asset_page(store: Store, search: AssetSearch) -> Page[Asset]:
    """One page of assets (by site, then id) with the total that match; services included."""
    rows = (
        _asset_where(select(*AssetRow.__table__.columns), search)
        .order_by(AssetRow.site_id, AssetRow.id)
        .offset(search.offset)
        .limit(search.limit)
    )
    count = _asset_where(select(func.count()).select_from(AssetRow), search)
    with store.connection() as connection:
        found = list(connection.execute(rows))
        services = _services(connection, [r.id for r in found])
        items = tuple(codec.asset_from_row(r, tuple(services.get(r.id, ()))) for r in found)
        total = int(connection.scalar(count) or 0)
    return Page(items, total, search.offset, search.limit)


def _services(connection: Any, asset_ids: list[str]) -> dict[str, list[Any]]:
    services: dict[str, list[Any]] = {}
    if not asset_ids:
        return services
    query = (
        select(*ServiceRow.__table__.columns)
        .where(ServiceRow.asset_id.in_(asset_ids))
        .order_by(ServiceRow.asset_id, ServiceRow.port)
    )
    for row in connection.execute(query):
        services.setdefault(row.asset_id, []).append(codec.service_from_row(row))
    return services


def observations_of(
    store: Store, subjects: Collection[tuple[SubjectKind, str]]
) -> list[Observation]:
    """Every observation about these subjects, by subject then fact name."""
    if not subjects:
        return []
    condition = or_(
        *(
            and_(ObservationRow.subject_kind == kind.value, ObservationRow.subject_id == key)
            for kind, key in subjects
        )
    )
    query = (
        select(*ObservationRow.__table__.columns)
        .where(condition)
        .order_by(ObservationRow.subject_kind, ObservationRow.subject_id, ObservationRow.name)
    )
    with store.connection() as connection:
        return [codec.observation_from_row(r) for r in connection.execute(query)]
