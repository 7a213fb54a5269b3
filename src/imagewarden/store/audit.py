"""The audit trail: every change a person or a worker makes, in a hash-chained table.

Each row holds the hash of the row before it; ``verify_chain`` recomputes the chain and names
the first row that was edited, deleted or reordered. Rows are appended inside the
transaction of the change they record (``Store.changing``), so a change and its audit entry
commit or roll back together. Appending is serialised (SQLite's write lock; an advisory
transaction lock on PostgreSQL), so the chain is a single line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from imagewarden.store.codec import utc
from imagewarden.store.schema import Base

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x1A0D17  # any constant: one advisory lock serialises appends per database


class AuditRow(Base):
    """One recorded change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(300))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


@dataclass
class Change:
    """A change being made: set ``before``/``after`` (JSON-ready, no patient data) in the block."""

    session: Session
    actor: str
    action: str
    target: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A stored audit row."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of recomputing the chain."""

    rows: int
    first_bad: int | None
    """Id of the first row whose content, position or predecessor does not match."""
    reason: str = ""

    @property
    def intact(self) -> bool:
        """No row was edited, deleted or reordered."""
        return self.first_bad is None


def _utc_text(at: dt.datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _json(value: Mapping[str, Any] | None) -> str:
    return "null" if value is None else json.dumps(value, sort_keys=True, default=str)


def row_hash(
    row_id: int,
    at: dt.datetime,
    actor: str,
    action: str,
    target: str,
    before: str,
    after: str,
    previous: str,
) -> str:
    """The hash that binds a row's content and position to the row before it."""
    payload = "\x1f".join((str(row_id), _utc_text(at), actor, action, target, before, after))
    return hashlib.sha256(f"{previous}\x1e{payload}".encode()).hexdigest()


def append(change: Change) -> int:
    """Append ``change`` to the chain in its session's transaction; returns the row id."""
    session = change.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    last = session.execute(
        select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)
    ).first()
    previous = last.hash if last is not None else GENESIS
    row_id = (last.id if last is not None else 0) + 1
    before, after = _json(change.before), _json(change.after)
    session.add(
        AuditRow(
            id=row_id,
            at=change.at,
            actor=change.actor[:200],
            action=change.action[:80],
            target=change.target[:300],
            before=before,
            after=after,
            previous_hash=previous,
            hash=row_hash(
                row_id,
                change.at,
                change.actor[:200],
                change.action[:80],
                change.target[:300],
                before,
                after,
                previous,
            ),
        )
    )
    session.flush()
    return row_id


def verify_chain(rows: Iterable[AuditRow]) -> ChainCheck:
    """Recompute the chain over ``rows`` (in id order)."""
    previous = GENESIS
    expected_id = 1
    count = 0
    for row in rows:
        count += 1
        if row.id != expected_id:
            return ChainCheck(count, row.id, f"row {expected_id} is missing before row {row.id}")
        if row.previous_hash != previous:
            return ChainCheck(count, row.id, "its link to the previous row does not match")
        computed = row_hash(
            row.id, row.at, row.actor, row.action, row.target, row.before, row.after, previous
        )
        if computed != row.hash:
            return ChainCheck(count, row.id, "its content does not match its hash")
        previous = row.hash
        expected_id += 1
    return ChainCheck(count, None)


def entries(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 0,
    target: str | None = None,
    before: int | None = None,
) -> Iterator[AuditEntry]:
    """Audit entries, newest first, optionally of one action or actor, whose target contains
    ``target``, older than entry ``before`` (to page backwards)."""
    query = select(AuditRow).order_by(AuditRow.id.desc())
    if action is not None:
        query = query.where(AuditRow.action == action)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    if target:
        escaped = target.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        query = query.where(AuditRow.target.like(f"%{escaped}%", escape="!"))
    if before is not None:
        query = query.where(AuditRow.id < before)
    if limit:
        query = query.limit(limit)
    for row in session.scalars(query):
        yield AuditEntry(
            row.id,
            utc(row.at),
            row.actor,
            row.action,
            row.target,
            json.loads(row.before),
            json.loads(row.after),
        )


def actions(session: Session) -> list[str]:
    """Every action the log holds, sorted (for a filter's choices)."""
    return sorted(session.scalars(select(AuditRow.action).distinct()))


def count(session: Session) -> int:
    """Rows in the audit log."""
    return session.scalar(select(func.count()).select_from(AuditRow)) or 0
