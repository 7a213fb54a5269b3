"""Tables of the resilience capability: backup checks, the IR team roster and drills.

Backup manifests stay files (they can hold millions of lines); the database keeps each
check's summary, which the engine and the report read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imagewarden.store.schema import Base
from imagewarden.store.types import UtcDateTime


class BackupCheckRow(Base):
    """One backup verification or restore test (its summary; manifests stay files)."""

    __tablename__ = "resilience_backup_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    """verify | restore_test"""
    root: Mapped[str] = mapped_column(String(1000))
    asset_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    files: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    problem_files: Mapped[int] = mapped_column(Integer, default=0)
    manifest: Mapped[str] = mapped_column(String(1000), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TeamMemberRow(Base):
    """A person (or rota) in an incident response role."""

    __tablename__ = "resilience_team"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    role: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="")
    rank: Mapped[int] = mapped_column(Integer, default=1)
    """1 = primary for the role, 2 = first deputy, ... (the contact tree order)."""


class DrillRow(Base):
    """A drill: scheduled, started (first log entry) and finished (after-action report)."""

    __tablename__ = "resilience_drills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    scenario: Mapped[str] = mapped_column(String(100), default="")
    scheduled_for: Mapped[dt.date] = mapped_column(Date)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class DrillEventRow(Base):
    """One entry of a drill's run log."""

    __tablename__ = "resilience_drill_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("resilience_drills.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    """inject | action | note"""
    text: Mapped[str] = mapped_column(Text)


class DrillItemRow(Base):
    """One after-action item."""

    __tablename__ = "resilience_drill_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("resilience_drills.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    """went_well | gap | improvement"""
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
