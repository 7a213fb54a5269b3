"""Tables of the governance capability: checklist answers, maturity history, training records,
phishing campaigns and their results, and plan-of-action items.

Created by the migration branch "governance" (``migrations/g0001_governance.py`` and later).
People are never stored by name or e-mail address: ``person_hash`` is a keyed hash made at
import time, enough to count a person once without being able to say who it is.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imagewarden.store.schema import Base
from imagewarden.store.types import UtcDateTime


class AnswerRow(Base):
    """One answer to one question at one site; older answers are kept as history."""

    __tablename__ = "gov_answers"
    __table_args__ = (Index("ix_gov_answers_site_question", "site_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(200), default="")
    evidence: Mapped[str] = mapped_column(String(1000), default="")
    answered_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class MaturityRow(Base):
    """A recorded CSF implementation tier of one function at one site on one date."""

    __tablename__ = "gov_maturity"
    __table_args__ = (Index("ix_gov_maturity_site_date", "site_id", "assessed_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64))
    function: Mapped[str] = mapped_column(String(2))
    tier: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    answered: Mapped[int] = mapped_column(Integer)
    questions: Mapped[int] = mapped_column(Integer)
    assessed_on: Mapped[dt.date] = mapped_column(Date)


class TrainingRow(Base):
    """One assignment of a course (or a drill) to one person, from a learning system export."""

    __tablename__ = "gov_training"
    __table_args__ = (
        Index("ix_gov_training_department", "department"),
        Index("ux_gov_training_key", "person_hash", "course", "kind", "assigned_on", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_hash: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[str] = mapped_column(String(64), default="")
    course: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="training")
    assigned_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    completed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(300))


class CampaignRow(Base):
    """One imported phishing campaign."""

    __tablename__ = "gov_campaigns"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(300))
    site_id: Mapped[str] = mapped_column(String(64), default="")
    launched_on: Mapped[dt.date] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CampaignResultRow(Base):
    """What one recipient of a simulated phishing e-mail did."""

    __tablename__ = "gov_campaign_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("gov_campaigns.id", ondelete="CASCADE"), index=True
    )
    person_hash: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(40))
    sent: Mapped[bool] = mapped_column(default=False)
    clicked: Mapped[bool] = mapped_column(default=False)
    submitted: Mapped[bool] = mapped_column(default=False)
    reported: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PlanItemRow(Base):
    """A plan-of-action-and-milestones item: one open finding or one framework gap."""

    __tablename__ = "gov_plan_items"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[str] = mapped_column(String(64), default="")
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(200), default="")
    milestone: Mapped[str] = mapped_column(String(300), default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Adds one at every change; a sync changes a row only at the revision it read."""
    edited: Mapped[str] = mapped_column(String(80), default="", server_default="")
    """Space-separated fields a person set (owner, due, status, milestone)."""
