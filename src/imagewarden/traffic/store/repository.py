"""Reading and writing captures and flows; the only SQL of the traffic capability.

Writers take the caller's session, so ``traffic.api.apply`` stores a capture, its flows, new
assets and observations in one audited transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from imagewarden.store import Store
from imagewarden.store.bulk import insert_rows
from imagewarden.traffic.model import CaptureBatch, FlowRecord, flow_from_json, flow_to_json
from imagewarden.traffic.store.tables import CaptureRow, FlowRow

# Columns of their own; everything else of a flow is kept in the JSON "facts" column.
_COLUMNS = (
    "client",
    "server",
    "port",
    "protocol",
    "calling_ae",
    "called_ae",
    "connections",
    "bytes_to_server",
    "bytes_to_client",
    "first_seen",
    "last_seen",
)


@dataclass(frozen=True, slots=True)
class StoredFlow:
    """A flow as stored: the site and capture it belongs to, and the flow itself."""

    site_id: str
    capture_id: int
    flow: FlowRecord


@dataclass(frozen=True, slots=True)
class StoredCapture:
    """A capture that was applied."""

    id: int
    fingerprint: str
    site_id: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    applied_at: dt.datetime
    packets: int
    bytes: int
    files: tuple[str, ...]
    flows: int


def _time(value: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, dt.UTC) if value else None


def _seconds(value: dt.datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


def _flow_row(capture_id: int, site_id: str, flow: FlowRecord) -> dict[str, Any]:
    facts = flow_to_json(flow)
    row: dict[str, Any] = {name: facts.pop(name) for name in _COLUMNS}
    row["first_seen"] = _time(flow.first_seen)
    row["last_seen"] = _time(flow.last_seen)
    row.update(capture_id=capture_id, site_id=site_id, facts=facts)
    return row


def _flow_of(row: Any) -> FlowRecord:
    data = dict(row.facts)
    for name in _COLUMNS:
        data[name] = getattr(row, name)
    data["first_seen"] = _seconds(row.first_seen)
    data["last_seen"] = _seconds(row.last_seen)
    return flow_from_json(data)


def replace_capture(
    session: Session, batch: CaptureBatch, site_id: str, applied_at: dt.datetime
) -> tuple[int, bool]:
    """Store ``batch`` as the capture it fingerprints; (capture id, whether it replaced one)."""
    fingerprint = batch.fingerprint
    existing = session.scalar(select(CaptureRow.id).where(CaptureRow.fingerprint == fingerprint))
    if existing is not None:
        session.execute(delete(FlowRow).where(FlowRow.capture_id == existing))
        session.execute(delete(CaptureRow).where(CaptureRow.id == existing))
    row = CaptureRow(
        fingerprint=fingerprint,
        site_id=site_id,
        started_at=_time(batch.started),
        ended_at=_time(batch.ended),
        applied_at=applied_at,
        packets=batch.stats.packets,
        bytes=batch.stats.bytes,
        files=[dataclasses.asdict(f) for f in batch.files],
        stats=dataclasses.asdict(batch.stats),
    )
    session.add(row)
    session.flush()
    insert_rows(session, FlowRow, (_flow_row(row.id, site_id, flow) for flow in batch.flows))
    return row.id, existing is not None


def flows_in(session: Session, site_id: str | None = None) -> list[StoredFlow]:
    """Every stored flow (of one site), oldest capture first, read in ``session``."""
    query = select(FlowRow).order_by(FlowRow.capture_id, FlowRow.id)
    if site_id is not None:
        query = query.where(FlowRow.site_id == site_id)
    return [StoredFlow(r.site_id, r.capture_id, _flow_of(r)) for r in session.scalars(query)]


def flows(store: Store, site_id: str | None = None) -> list[StoredFlow]:
    """Every stored flow (of one site), oldest capture first."""
    with store.reading() as session:
        return flows_in(session, site_id)


def captures(store: Store) -> list[StoredCapture]:
    """Every applied capture, newest first, with its number of flows."""
    with store.reading() as session:
        counts: dict[int, int] = {}
        for capture_id in session.scalars(select(FlowRow.capture_id)):
            counts[capture_id] = counts.get(capture_id, 0) + 1
        rows: Sequence[CaptureRow] = session.scalars(
            select(CaptureRow).order_by(CaptureRow.applied_at.desc(), CaptureRow.id.desc())
        ).all()
        return [
            StoredCapture(
                id=r.id,
                fingerprint=r.fingerprint,
                site_id=r.site_id,
                started_at=r.started_at,
                ended_at=r.ended_at,
                applied_at=r.applied_at,
                packets=r.packets,
                bytes=r.bytes,
                files=tuple(str(f.get("name", "")) for f in r.files),
                flows=counts.get(r.id, 0),
            )
            for r in rows
        ]
