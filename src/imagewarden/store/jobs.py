"""Jobs and site keys in the store: the centre's record of work sent to site workers.

Every state change is a compare-and-set on the row (``UPDATE ... WHERE state IN (...)``), so
two deliveries of one message, or a late report after a job expired, cannot move a job
backwards or apply two result batches: ``claim_batch`` lets exactly one batch id win per job.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Result, RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from imagewarden.model.jobs import Job, JobKind, JobState, SiteKey
from imagewarden.store.schema import Base

_ACTIVE = (JobState.QUEUED.value, JobState.RUNNING.value)


class JobRow(Base):
    """A job sent to a site worker."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state", "state"),
        Index("ix_jobs_site_created", "site_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    params: Mapped[str] = mapped_column(Text, default="{}")
    submitted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    batch_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="{}")
    schedule_key: Mapped[str | None] = mapped_column(String(300), nullable=True, unique=True)


class SiteKeyRow(Base):
    """The public key a site's workers sign their results with (one per site)."""

    __tablename__ = "site_keys"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(200))


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back: they were stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _job(row: RowMapping) -> Job:
    created = _utc(row["created_at"])
    updated = _utc(row["updated_at"])
    assert created is not None and updated is not None
    return Job(
        id=row["id"],
        kind=JobKind(row["kind"]),
        site_id=row["site_id"],
        state=JobState(row["state"]),
        params=json.loads(row["params"] or "{}"),
        submitted_by=row["submitted_by"],
        created_at=created,
        updated_at=updated,
        expires_at=_utc(row["expires_at"]),
        started_at=_utc(row["started_at"]),
        finished_at=_utc(row["finished_at"]),
        attempts=row["attempts"],
        batch_id=row["batch_id"],
        error=row["error"] or "",
        summary=json.loads(row["summary"] or "{}"),
        schedule_key=row["schedule_key"],
    )


_COLUMNS = tuple(JobRow.__table__.columns)


def _changed(result: Result[Any]) -> bool:
    """Whether an UPDATE changed a row (its compare-and-set succeeded)."""
    return bool(cast(CursorResult[Any], result).rowcount)


def add_job(session: Session, job: Job) -> bool:
    """Insert ``job``; False when its schedule key was already used (nothing inserted)."""
    values = {
        "id": job.id,
        "kind": job.kind.value,
        "site_id": job.site_id,
        "state": job.state.value,
        "params": json.dumps(dict(job.params), sort_keys=True),
        "submitted_by": job.submitted_by[:200],
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "expires_at": job.expires_at,
        "attempts": job.attempts,
        "error": job.error,
        "summary": json.dumps(dict(job.summary), sort_keys=True),
        "schedule_key": job.schedule_key,
    }
    if job.schedule_key is not None and scheduled(session, job.schedule_key):
        return False
    try:
        with session.begin_nested():
            session.execute(insert(JobRow), [values])
    except IntegrityError:
        if job.schedule_key is None:
            raise
        return False
    return True


def scheduled(session: Session, schedule_key: str) -> bool:
    """A job was already created for this schedule entry and window."""
    return session.scalar(select(JobRow.id).where(JobRow.schedule_key == schedule_key)) is not None


def get_job(session: Session, job_id: str) -> Job | None:
    """The job ``job_id``, or None."""
    row = session.execute(select(*_COLUMNS).where(JobRow.id == job_id)).mappings().first()
    return _job(row) if row is not None else None


def list_jobs(
    session: Session,
    *,
    site_id: str | None = None,
    states: Iterable[JobState] = (),
    kind: JobKind | None = None,
    limit: int = 0,
) -> list[Job]:
    """Jobs, newest first, narrowed by site, states and kind."""
    query = select(*_COLUMNS).order_by(JobRow.created_at.desc(), JobRow.id)
    if site_id is not None:
        query = query.where(JobRow.site_id == site_id)
    wanted = [s.value for s in states]
    if wanted:
        query = query.where(JobRow.state.in_(wanted))
    if kind is not None:
        query = query.where(JobRow.kind == kind.value)
    if limit:
        query = query.limit(limit)
    return [_job(row) for row in session.execute(query).mappings()]


def mark_running(session: Session, job_id: str, attempt: int, now: dt.datetime) -> bool:
    """A worker started attempt ``attempt``: queued or running -> running. False if finished."""
    result = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.state.in_(_ACTIVE))
        .values(
            state=JobState.RUNNING.value,
            attempts=attempt,
            started_at=now,
            updated_at=now,
        )
    )
    return _changed(result)


def claim_batch(
    session: Session, job_id: str, batch_id: str, now: dt.datetime
) -> tuple[str | None, JobState] | None:
    """Reserve the job for ``batch_id``: the first batch of an active job wins.

    Returns the batch id that holds the job afterwards and the job's state (``batch_id``
    and an active state: this batch is to be applied, the first time or again after the
    centre stopped while applying it), or None for an unknown job.
    """
    session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.state.in_(_ACTIVE), JobRow.batch_id.is_(None))
        .values(batch_id=batch_id, updated_at=now)
    )
    row = session.execute(select(JobRow.batch_id, JobRow.state).where(JobRow.id == job_id)).first()
    if row is None:
        return None
    return row.batch_id, JobState(row.state)


def finish_job(
    session: Session,
    job_id: str,
    batch_id: str,
    summary: dict[str, Any],
    now: dt.datetime,
) -> bool:
    """The claimed batch was applied: the job is done. False if another batch holds it."""
    result = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.batch_id == batch_id, JobRow.state.in_(_ACTIVE))
        .values(
            state=JobState.DONE.value,
            summary=json.dumps(summary, sort_keys=True, default=str),
            finished_at=now,
            updated_at=now,
        )
    )
    return _changed(result)


def fail_job(
    session: Session,
    job_id: str,
    error: str,
    now: dt.datetime,
    *,
    state: JobState = JobState.FAILED,
    release_batch: str | None = None,
) -> bool:
    """An active job ends failed (or expired) with ``error``. False if it had already ended.

    A job whose batch was claimed is failed only by that batch (``release_batch``): the
    report of another attempt cannot fail a job whose result is being applied.
    """
    query = update(JobRow).where(JobRow.id == job_id, JobRow.state.in_(_ACTIVE))
    if release_batch is None:
        query = query.where(JobRow.batch_id.is_(None))
    else:
        query = query.where(JobRow.batch_id == release_batch)
    result = session.execute(
        query.values(state=state.value, error=error[:2000], finished_at=now, updated_at=now)
    )
    return _changed(result)


def expire_jobs(session: Session, now: dt.datetime) -> list[str]:
    """Active jobs past their deadline with no batch claimed end ``expired``; their ids."""
    due = list(
        session.scalars(
            select(JobRow.id).where(
                JobRow.state.in_(_ACTIVE),
                JobRow.batch_id.is_(None),
                JobRow.expires_at.is_not(None),
                JobRow.expires_at <= now,
            )
        )
    )
    for job_id in due:
        fail_job(session, job_id, "not run before its deadline", now, state=JobState.EXPIRED)
    return due


# --- site keys ------------------------------------------------------------------------------


def _key(row: SiteKeyRow) -> SiteKey:
    registered = _utc(row.registered_at)
    assert registered is not None
    return SiteKey(row.site_id, row.public_key, row.fingerprint, registered, row.registered_by)


def site_key(session: Session, site_id: str) -> SiteKey | None:
    """The public key registered for ``site_id``, or None."""
    row = session.get(SiteKeyRow, site_id)
    return _key(row) if row is not None else None


def site_keys(session: Session) -> list[SiteKey]:
    """Every registered public key, by site."""
    return [_key(r) for r in session.scalars(select(SiteKeyRow).order_by(SiteKeyRow.site_id))]


def put_site_key(session: Session, key: SiteKey) -> SiteKey | None:
    """Register ``key`` for its site, replacing the one before; returns the replaced key."""
    row = session.get(SiteKeyRow, key.site_id)
    before = _key(row) if row is not None else None
    if row is None:
        session.add(
            SiteKeyRow(
                site_id=key.site_id,
                public_key=key.public_key,
                fingerprint=key.fingerprint,
                registered_at=key.registered_at,
                registered_by=key.registered_by[:200],
            )
        )
    else:
        row.public_key = key.public_key
        row.fingerprint = key.fingerprint
        row.registered_at = key.registered_at
        row.registered_by = key.registered_by[:200]
    session.flush()
    return before
