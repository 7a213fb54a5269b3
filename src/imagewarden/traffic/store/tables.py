"""Tables of the traffic capability: analysed captures and the flows each one showed.

Flows are kept per capture, so applying the same capture again replaces its flows instead
of counting them twice, and a flow can always be traced to the capture that showed it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from imagewarden.store.schema import Base
from imagewarden.store.types import UtcDateTime


class CaptureRow(Base):
    __tablename__ = "traffic_captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    applied_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    packets: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    files: Mapped[list[Any]] = mapped_column(default=list)
    """[{name, format, size, packets, first_seen, last_seen}] in reading order."""
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FlowRow(Base):
    __tablename__ = "traffic_flows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("traffic_captures.id"), index=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64))
    server: Mapped[str] = mapped_column(String(64))
    port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(10))
    calling_ae: Mapped[str] = mapped_column(String(16), default="")
    called_ae: Mapped[str] = mapped_column(String(16), default="")
    connections: Mapped[int] = mapped_column(Integer, default=0)
    bytes_to_server: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_to_client: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_seen: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The rest of the flow (operations, SOP classes, TLS, HL7, DICOMweb counts): JSON."""
