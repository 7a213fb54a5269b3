"""Data access for governance records, over the same database as the rest of the store.

Each import is one transaction: a file either lands whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from imagewarden.governance.interface import (
    AnswerRecord,
    Campaign,
    PhishingResult,
    PlanItem,
    TrainingRecord,
)
from imagewarden.governance.store.tables import (
    AnswerRow,
    CampaignResultRow,
    CampaignRow,
    MaturityRow,
    PlanItemRow,
    TrainingRow,
)
from imagewarden.model.checklist import Answer
from imagewarden.store import Store


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite drops the zone of stored datetimes; every stored datetime is UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class GovernanceStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # --- answers -----------------------------------------------------------------------

    def add_answers(self, answers: Sequence[AnswerRecord], now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        rows = [
            {
                "site_id": a.site_id,
                "question_id": a.question_id,
                "answer": a.answer.value,
                "owner": a.owner,
                "evidence": a.evidence,
                "answered_on": a.answered_on,
                "due_on": a.due_on,
                "notes": a.notes,
                "recorded_at": now,
            }
            for a in answers
        ]
        with Session(self.engine) as session, session.begin():
            if rows:
                session.execute(insert(AnswerRow), rows)
        return len(rows)

    def answer_history(self) -> list[AnswerRecord]:
        """Every answer ever recorded, oldest first."""
        query = select(AnswerRow).order_by(AnswerRow.answered_on, AnswerRow.id)
        with Session(self.engine) as session:
            return [
                AnswerRecord(
                    site_id=r.site_id,
                    question_id=r.question_id,
                    answer=Answer(r.answer),
                    owner=r.owner,
                    evidence=r.evidence,
                    answered_on=r.answered_on,
                    due_on=r.due_on,
                    notes=r.notes,
                )
                for r in session.scalars(query)
            ]

    def current_answers(self, as_of: dt.date | None = None) -> list[AnswerRecord]:
        """The latest answer per site and question, as of a date (default: all)."""
        latest: dict[tuple[str, str], AnswerRecord] = {}
        for record in self.answer_history():
            if as_of is not None and record.answered_on > as_of:
                continue
            latest[(record.site_id, record.question_id)] = record
        return sorted(latest.values(), key=lambda a: (a.site_id, a.question_id))

    # --- maturity ----------------------------------------------------------------------

    def record_maturity(self, rows: Iterable[dict[str, object]]) -> None:
        """Replace the snapshot of each (site, date) given, so re-recording a day is idempotent."""
        rows = list(rows)
        keys = {(str(r["site_id"]), r["assessed_on"]) for r in rows}
        with Session(self.engine) as session, session.begin():
            for site_id, day in keys:
                session.execute(
                    delete(MaturityRow).where(
                        MaturityRow.site_id == site_id, MaturityRow.assessed_on == day
                    )
                )
            if rows:
                session.execute(insert(MaturityRow), rows)

    def maturity_history(self) -> list[MaturityRow]:
        query = select(MaturityRow).order_by(
            MaturityRow.assessed_on, MaturityRow.site_id, MaturityRow.function
        )
        with Session(self.engine) as session:
            rows = list(session.scalars(query))
            session.expunge_all()
            return rows

    # --- culture -----------------------------------------------------------------------

    def add_training(self, records: Sequence[TrainingRecord], source: str) -> int:
        """Add one learning-system export; a re-import of the same file name replaces it."""
        rows = [
            {
                "person_hash": r.person_hash,
                "department": r.department,
                "site_id": r.site_id,
                "course": r.course,
                "kind": r.kind,
                "assigned_on": r.assigned_on,
                "due_on": r.due_on,
                "completed_on": r.completed_on,
                "source": source,
            }
            for r in records
        ]
        with Session(self.engine) as session, session.begin():
            session.execute(delete(TrainingRow).where(TrainingRow.source == source))
            if rows:
                session.execute(insert(TrainingRow), rows)
        return len(rows)

    def training(self) -> list[TrainingRecord]:
        with Session(self.engine) as session:
            return [
                TrainingRecord(
                    person_hash=r.person_hash,
                    department=r.department,
                    course=r.course,
                    assigned_on=r.assigned_on,
                    due_on=r.due_on,
                    completed_on=r.completed_on,
                    kind=r.kind,
                    site_id=r.site_id,
                )
                for r in session.scalars(select(TrainingRow).order_by(TrainingRow.id))
            ]

    def save_campaign(self, campaign: Campaign, now: dt.datetime | None = None) -> int:
        """Add a campaign, replacing an earlier import of the same campaign."""
        now = now or dt.datetime.now(dt.UTC)
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(CampaignResultRow).where(CampaignResultRow.campaign_id == campaign.id)
            )
            session.execute(delete(CampaignRow).where(CampaignRow.id == campaign.id))
            session.add(
                CampaignRow(
                    id=campaign.id,
                    name=campaign.name,
                    source=campaign.source,
                    site_id=campaign.site_id,
                    launched_on=campaign.launched_on,
                    imported_at=now,
                )
            )
            session.flush()
            rows = [
                {
                    "campaign_id": campaign.id,
                    "person_hash": r.person_hash,
                    "department": r.department,
                    "status": r.status,
                    "sent": r.sent,
                    "clicked": r.clicked,
                    "submitted": r.submitted,
                    "reported": r.reported,
                    "sent_at": r.sent_at,
                    "reported_at": r.reported_at,
                }
                for r in campaign.results
            ]
            if rows:
                session.execute(insert(CampaignResultRow), rows)
        return len(campaign.results)

    def campaigns(self) -> list[Campaign]:
        with Session(self.engine) as session:
            results: dict[str, list[PhishingResult]] = {}
            for r in session.scalars(select(CampaignResultRow).order_by(CampaignResultRow.id)):
                results.setdefault(r.campaign_id, []).append(
                    PhishingResult(
                        person_hash=r.person_hash,
                        department=r.department,
                        status=r.status,
                        sent=r.sent,
                        clicked=r.clicked,
                        submitted=r.submitted,
                        reported=r.reported,
                        sent_at=_utc(r.sent_at),
                        reported_at=_utc(r.reported_at),
                    )
                )
            query = select(CampaignRow).order_by(CampaignRow.launched_on, CampaignRow.id)
            return [
                Campaign(
                    id=c.id,
                    name=c.name,
                    source=c.source,
                    launched_on=c.launched_on,
                    results=tuple(results.get(c.id, ())),
                    site_id=c.site_id,
                )
                for c in session.scalars(query)
            ]

    # --- plan of action ----------------------------------------------------------------

    def plan_items(self) -> list[PlanItem]:
        with Session(self.engine) as session:
            query = select(PlanItemRow).order_by(PlanItemRow.due_on, PlanItemRow.id)
            return [_item(r) for r in session.scalars(query)]

    def save_plan_items(self, items: Sequence[PlanItem]) -> None:
        """Write the whole plan (items are few; replacing keeps the code obvious)."""
        with Session(self.engine) as session, session.begin():
            session.execute(delete(PlanItemRow))
            rows = [
                {
                    "id": i.id,
                    "source_kind": i.source_kind,
                    "source_id": i.source_id,
                    "site_id": i.site_id,
                    "title": i.title[:300],
                    "severity": i.severity,
                    "owner": i.owner,
                    "milestone": i.milestone[:300],
                    "due_on": i.due_on,
                    "status": i.status,
                    "created_on": i.created_on,
                    "closed_on": i.closed_on,
                }
                for i in items
            ]
            if rows:
                session.execute(insert(PlanItemRow), rows)


def _item(r: PlanItemRow) -> PlanItem:
    return PlanItem(
        id=r.id,
        source_kind=r.source_kind,
        source_id=r.source_id,
        site_id=r.site_id,
        title=r.title,
        severity=r.severity,
        owner=r.owner,
        milestone=r.milestone,
        due_on=r.due_on,
        status=r.status,
        created_on=r.created_on,
        closed_on=r.closed_on,
    )
