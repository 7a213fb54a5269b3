"""An assessment's findings: staged as row values while it evaluates, written in one go.

The engine hands each finding over as it is produced (``StagedFindings``), so no list of
``Finding`` objects and no decoded evidence is kept: each is encoded once into the tuple
of values its row gets. ``write_staged`` then writes them inside the assessment's single
transaction with the driver's ``executemany`` (the database layer's per-row parameter
processing cost more than the database itself).

A person's decision adds one to the finding's ``revision``; the assessment changes a
lifecycle only where the row is still at the revision it read before evaluating
(compare-and-set), so a decision recorded meanwhile is kept and counted as a conflict.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Table, func, select

from imagewarden.model import (
    FactValue,
    FindingStatus,
    Lifecycle,
    ObservedFinding,
    RiskFactor,
    Severity,
    StoredLifecycle,
    mitigates,
    reopens,
)
from imagewarden.model.finding import SUBJECT_KIND_TEXT
from imagewarden.store import codec
from imagewarden.store.bulk import batches
from imagewarden.store.chunks import FETCH
from imagewarden.store.schema import FindingRow, RiskFactorSetRow, SafeguardListRow

WRITE_CACHE_KIB = 65536
"""SQLite page cache while an assessment writes (see ``_page_cache``)."""

_OBSERVED = (
    "id",
    "check_id",
    "subject_kind",
    "subject_id",
    "site_id",
    "asset_id",
    "title",
    "severity",
    "risk_score",
    "risk_key",
    "evidence",
    "safeguards_key",
    "extra",
)
_LIFECYCLE = ("status", "status_reason", "accepted_until", "mitigated_at")
_MEMO_LIMIT = 16384
# Enum values by member: ``.value`` is a descriptor call, a dict lookup is not.
_SEVERITY_VALUES = {s: s.value for s in Severity}


def _table() -> Table:
    return cast(Table, FindingRow.__table__)


class _Binder:
    """Values as the driver takes them: what the database layer's bind processing does."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

        def processor(name: str) -> Callable[[Any], Any]:
            column = _table().c[name]
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            return process or (lambda value: value)

        self.date = processor("accepted_until")
        self.moment = processor("last_seen")
        self._lifecycles: dict[Lifecycle, tuple[Any, ...]] = {}

    def lifecycle(self, lifecycle: Lifecycle) -> tuple[Any, ...]:
        """The lifecycle's column values (most findings share a few lifecycles)."""
        bound = self._lifecycles.get(lifecycle)
        if bound is None:
            status, reason, until, mitigated = lifecycle
            bound = (
                status.value,
                reason,
                None if until is None else self.date(until),
                None if mitigated is None else self.moment(mitigated),
            )
            if len(self._lifecycles) < _MEMO_LIMIT:
                self._lifecycles[lifecycle] = bound
        return bound


class StagedFindings:
    """One assessment's findings as row values, until its write transaction."""

    def __init__(self, dialect: Dialect, now: dt.datetime) -> None:
        self.bind = _Binder(dialect)
        self.now = self.bind.moment(now)
        self.inserts: list[tuple[Any, ...]] = []
        """New findings: observed values, lifecycle values, revision."""
        self.updates: list[tuple[Any, ...]] = []
        """Findings seen again: observed values (the facts an assessment owns)."""
        self.moves: list[tuple[str, StoredLifecycle, Lifecycle]] = []
        """Lifecycle changes, each guarded by the revision that was read."""
        self.unseen: list[str] = []
        """Stored findings not observed this time (only their assessment moves on)."""
        self.risk_sets: dict[str, str] = {}
        """The risk factors the staged findings are scored with: key to JSON text."""
        self.safeguard_lists: dict[str, str] = {}
        """The safeguards recommended for the staged findings: key to JSON text."""
        # One memo per kind of value: the same object (the empty tuple) can be both a set of
        # risk factors and a list of safeguards, whose keys name rows of different tables.
        self._risk_memo: dict[int, tuple[Any, str]] = {}
        self._safeguards_memo: dict[int, tuple[Any, str]] = {}
        self._evidence_texts: dict[tuple[tuple[Any, ...], tuple[type, ...]], str] = {}

    @staticmethod
    def _remember(
        memo: dict[int, tuple[Any, str]], value: Any, encode: Callable[[Any], str]
    ) -> str:
        """The key of a value shared by many findings (risk factors, safeguards), encoded
        once: ``_observed`` looks the memo up itself and calls this only when it misses.

        Keyed by identity, holding the value so its id cannot be reused while remembered.
        """
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[id(value)] = (value, key := encode(value))
        return key

    def _risk_key(self, factors: tuple[RiskFactor, ...]) -> str:
        text = codec.risk_json(factors)
        key = codec.shared_key(text)
        self.risk_sets[key] = text
        return key

    def _safeguards_key(self, safeguards: tuple[str, ...]) -> str:
        text = json.dumps(list(safeguards))
        key = codec.shared_key(text)
        self.safeguard_lists[key] = text
        return key

    def _evidence(self, evidence: Mapping[str, FactValue]) -> str:
        """Evidence JSON; the same evidence (one check on alike subjects) shares one text.

        The key holds the values' types too: True == 1, but their JSON differs.
        """
        key = (tuple(evidence.items()), tuple(map(type, evidence.values())))
        try:
            text = self._evidence_texts.get(key)
        except TypeError:  # an unhashable value: encode it as it is
            return json.dumps(codec.encode_evidence(evidence))
        if text is None:
            if len(self._evidence_texts) >= _MEMO_LIMIT:
                self._evidence_texts.clear()
            text = self._evidence_texts[key] = json.dumps(codec.encode_evidence(evidence))
        return text

    def _observed(self, finding: ObservedFinding) -> tuple[Any, ...]:
        (
            key,
            check,
            kind,
            subject,
            site,
            asset,
            title,
            severity,
            risk,
            evidence,
            safeguards,
            extra,
        ) = finding
        factors = risk.factors
        # Most findings share a few values: one dict lookup each, no call, when remembered.
        risk_known = self._risk_memo.get(id(factors))
        safeguards_known = self._safeguards_memo.get(id(safeguards))
        return (
            key,
            check,
            SUBJECT_KIND_TEXT[kind],
            subject,
            site,
            asset,
            title,
            _SEVERITY_VALUES[severity],
            risk.score,
            self._remember(self._risk_memo, factors, self._risk_key)
            if risk_known is None
            else risk_known[1],
            self._evidence(evidence),
            self._remember(self._safeguards_memo, safeguards, self._safeguards_key)
            if safeguards_known is None
            else safeguards_known[1],
            json.dumps(dict(extra)) if extra else "{}",
        )

    def insert(self, finding: ObservedFinding, lifecycle: Lifecycle, revision: int = 0) -> None:
        """A finding not stored before."""
        self.inserts.append((*self._observed(finding), *self.bind.lifecycle(lifecycle), revision))

    def update(self, finding: ObservedFinding) -> None:
        """A stored finding observed again: its facts are rewritten, never its lifecycle."""
        self.updates.append(self._observed(finding))

    def move(self, finding_id: str, read: StoredLifecycle, after: Lifecycle) -> None:
        """Change a stored finding's lifecycle, if nobody changed it since ``read``."""
        if after != read.lifecycle:
            self.moves.append((finding_id, read, after))

    def keep(self, finding_id: str) -> None:
        """A stored finding not observed this time."""
        self.unseen.append(finding_id)


@dataclass(frozen=True, slots=True)
class Written:
    """What ``write_staged`` changed."""

    new: int
    mitigated: int
    reopened: int
    conflicts: int
    """Lifecycle changes not made because a person changed the finding meanwhile."""


def stored_lifecycles(connection: Connection) -> dict[str, StoredLifecycle]:
    """Every stored finding's lifecycle and revision, as an assessment reads them first."""
    table = _table()
    query = select(
        table.c.id,
        table.c.status,
        table.c.status_reason,
        table.c.accepted_until,
        table.c.mitigated_at,
        table.c.revision,
    )
    shared: dict[Lifecycle, Lifecycle] = {}  # most findings share a handful of lifecycles
    found: dict[str, StoredLifecycle] = {}
    for key, status, reason, until, mitigated, revision in connection.execute(query).yield_per(
        FETCH
    ):
        moment = codec.utc(mitigated) if mitigated is not None else None
        lifecycle = Lifecycle(codec.STATUS_OF_TEXT[status], reason, until, moment)
        found[key] = StoredLifecycle(shared.setdefault(lifecycle, lifecycle), revision)
    return found


class _Statements:
    """The statements of the write, in the driver's own parameter style."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle == "qmark":
            mark = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            mark = "%s"
        else:  # pragma: no cover - SQLite and PostgreSQL are the supported databases
            raise NotImplementedError(f"parameter style {dialect.paramstyle}")
        table = _table()
        quote = dialect.identifier_preparer.quote
        name = quote(table.name)

        def value(column: str) -> str:
            if column in codec.FINDING_JSON_COLUMNS and dialect.name == "postgresql":
                kind = table.c[column].type.compile(dialect=dialect)
                return f"CAST({mark} AS {kind})"
            return mark

        inserted = (*_OBSERVED, *_LIFECYCLE, "revision", "first_seen", "last_seen", "assessment_id")
        self.insert = (
            f"INSERT INTO {name} ({', '.join(quote(c) for c in inserted)}) "
            f"VALUES ({', '.join(value(c) for c in inserted)})"
        )
        facts = (*_OBSERVED[1:], "last_seen", "assessment_id")
        self.update = (
            f"UPDATE {name} SET {', '.join(f'{quote(c)} = {value(c)}' for c in facts)} "
            f"WHERE {quote('id')} = {mark}"
        )
        self.touch = f"UPDATE {name} SET {quote('assessment_id')} = {mark} WHERE id = {mark}"
        revision = quote("revision")
        self.move = (
            f"UPDATE {name} SET {', '.join(f'{quote(c)} = {mark}' for c in _LIFECYCLE)}, "
            f"{revision} = {revision} + 1 WHERE {quote('id')} = {mark} AND {revision} = {mark}"
        )


def _current_revisions(connection: Connection) -> dict[str, int]:
    """Every stored finding's revision, locked against changes until the transaction ends.

    SQLite's write lock is held already (BEGIN IMMEDIATE); on PostgreSQL the rows are locked
    (FOR UPDATE), so nobody can change them between this read and the writes.
    """
    table = _table()
    query = select(table.c.id, table.c.revision)
    if connection.dialect.name != "sqlite":
        query = query.with_for_update()
    rows = connection.execute(query).yield_per(FETCH)
    return {key: revision for key, revision in rows}  # noqa: C416 - dict() takes a result's keys()


def write_staged(
    connection: Connection,
    staged: StagedFindings,
    assessment_id: int,
) -> Written:
    """Write ``staged`` in the connection's transaction (see the module's docstring)."""
    with _page_cache(connection):
        return _write(connection, staged, assessment_id)


@contextlib.contextmanager
def _page_cache(connection: Connection) -> Iterator[None]:
    """A larger SQLite page cache for the write, the connection's own restored after.

    Every finding row adds an entry to five indexes at random places: with the default 2 MB
    cache a large assessment reads and writes the same index pages over and over (half the
    write's time at 50,000 assets). The cache grows only to the pages used.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or 0)}")


def _add_shared(connection: Connection, table: Table, values: Mapping[str, str]) -> None:
    """Store the values (key to JSON text) the findings refer to that are not stored yet."""
    key, text = table.c
    stored = set(connection.scalars(select(key)))
    new = [{key.name: k, text.name: v} for k, v in values.items() if k not in stored]
    if new:
        connection.execute(table.insert(), new)


def _write(connection: Connection, staged: StagedFindings, assessment_id: int) -> Written:
    _add_shared(connection, cast(Table, RiskFactorSetRow.__table__), staged.risk_sets)
    _add_shared(connection, cast(Table, SafeguardListRow.__table__), staged.safeguard_lists)
    statements = _Statements(connection.dialect)
    current = _current_revisions(connection)
    now = staged.now

    def execute(statement: str, rows: Iterator[tuple[Any, ...]]) -> None:
        for batch in batches(rows):
            connection.exec_driver_sql(statement, batch)

    # A finding that appeared meanwhile is left as it is.
    fresh = [row for row in staged.inserts if row[0] not in current]
    execute(statements.insert, ((*row, now, now, assessment_id) for row in fresh))
    execute(statements.update, ((*row[1:], now, assessment_id, row[0]) for row in staged.updates))
    execute(statements.touch, ((assessment_id, key) for key in staged.unseen))
    moved = [m for m in staged.moves if current.get(m[0], m[1].revision) == m[1].revision]
    bind = staged.bind.lifecycle
    execute(statements.move, ((*bind(after), key, read.revision) for key, read, after in moved))
    return Written(
        new=len(fresh),
        mitigated=sum(mitigates(read.lifecycle, after) for _k, read, after in moved),
        reopened=sum(reopens(read.lifecycle, after) for _k, read, after in moved),
        conflicts=len(staged.moves) - len(moved),
    )


def open_by_severity(connection: Connection) -> dict[str, int]:
    """Open findings per severity value, as stored now."""
    table = _table()
    query = (
        select(table.c.severity, func.count())
        .where(table.c.status == FindingStatus.OPEN.value)
        .group_by(table.c.severity)
    )
    return {severity: int(count) for severity, count in connection.execute(query)}
