"""Data access for governance records, over the same database as the rest of the store.

Every read goes through ``Store.reading()``, every write through ``Store.writing()`` or, when
a person or a worker makes it, ``Store.changing()`` (one audited transaction). Each import is
one transaction: a file either lands whole or not at all. Results are frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select, text, update
from sqlalchemy.orm import Session

from imagewarden.governance.interface import (
    AnswerRecord,
    Campaign,
    GophishStatus,
    MaturitySnapshot,
    PhishingResult,
    PlanField,
    PlanItem,
    PlanSource,
    PlanStatus,
    TrainingKind,
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
from imagewarden.model import Severity, UserInputError
from imagewarden.model.checklist import Answer
from imagewarden.store import Store

PlanMerge = Callable[[PlanItem | None, PlanItem | None], PlanItem | None]
"""(stored item or None, item the sync derived or None) -> the item to store, or None for no
change. Called inside the write transaction with the row as it is then."""


@dataclass(frozen=True, slots=True)
class PlanWrite:
    """What a plan sync changed when it wrote."""

    added: int
    updated: int
    closed: int
    conflicts: int
    """Items a person (or another sync) changed after this sync read them; their people's
    fields were kept and the sync's own fields merged onto the current row."""


@dataclass(frozen=True, slots=True)
class Merged:
    """What an import changed: rows not stored before, and stored rows it changed."""

    added: int
    updated: int
    campaign_id: str = ""
    """The stored campaign a phishing import went to."""


TrainingKey = tuple[str, str, str, dt.date]
"""What identifies a training row: person hash, course, kind and the day it was assigned."""

_PG_IMPORT_LOCK = 0x1A6E_C017
"""Advisory lock key that makes culture imports on PostgreSQL wait for each other, so two
imports of one file cannot both find a row missing and store it twice."""


def _one_import_at_a_time(session: Session) -> None:
    """On PostgreSQL, wait for any other culture import (SQLite's write lock does this)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_IMPORT_LOCK})


def _unchanged(
    matched: Sequence[CampaignRow],
    stored: Sequence[PhishingResult],
    campaign: Campaign,
    rename: bool,
) -> bool:
    """Whether ``campaign`` is stored exactly as it is (one campaign, the same results)."""
    if len(matched) != 1 or Counter(stored) != Counter(campaign.results):
        return False
    row = matched[0]
    return (not rename or row.name == campaign.name) and (
        not campaign.site_id or row.site_id == campaign.site_id
    )


def _training_key(r: TrainingRecord) -> TrainingKey:
    return (r.person_hash, r.course, r.kind.value, r.assigned_on)


def _training_values(r: TrainingRecord) -> dict[str, Any]:
    return {
        "person_hash": r.person_hash,
        "department": r.department,
        "site_id": r.site_id,
        "course": r.course,
        "kind": r.kind.value,
        "assigned_on": r.assigned_on,
        "due_on": r.due_on,
        "completed_on": r.completed_on,
    }


def _matching_campaigns(
    session: Session, campaign: Campaign, sends: set[tuple[str, dt.datetime]]
) -> list[CampaignRow]:
    """Stored campaigns that are ``campaign``: its id, or an e-mail to one of its recipients
    sent at the same instant; oldest import first."""
    ids = {campaign.id}
    hashes = sorted({person for person, _ in sends})
    for start in range(0, len(hashes), 500):
        query = select(
            CampaignResultRow.campaign_id, CampaignResultRow.person_hash, CampaignResultRow.sent_at
        ).where(CampaignResultRow.person_hash.in_(hashes[start : start + 500]))
        for campaign_id, person, sent_at in session.execute(query):
            if sent_at is not None and (person, sent_at) in sends:
                ids.add(campaign_id)
    campaigns = (
        select(CampaignRow)
        .where(CampaignRow.id.in_(sorted(ids)))
        .order_by(CampaignRow.imported_at, CampaignRow.id)
    )
    return list(session.scalars(campaigns))


class GovernanceStore:
    """The governance repository: answers, maturity, culture records and the plan."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- answers -----------------------------------------------------------------------

    def add_answers(
        self,
        answers: Sequence[AnswerRecord],
        *,
        actor: str,
        action: str,
        target: str,
        now: dt.datetime | None = None,
    ) -> int:
        """Add answers (history is kept) in one audited transaction."""
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
        with self.store.changing(actor, action, target) as change:
            if len(answers) == 1:
                previous = _latest_answer(change.session, answers[0])
                change.before = None if previous is None else _answer_audit(previous)
                change.after = _answer_audit(answers[0])
            else:
                change.after = {"answers": len(rows)}
            if rows:
                change.session.execute(insert(AnswerRow), rows)
        return len(rows)

    def answer_history(self) -> list[AnswerRecord]:
        """Every answer ever recorded, oldest first."""
        query = select(AnswerRow).order_by(AnswerRow.answered_on, AnswerRow.id)
        with self.store.reading() as session:
            return [_answer(r) for r in session.scalars(query)]

    def current_answers(self, as_of: dt.date | None = None) -> list[AnswerRecord]:
        """The latest answer per site and question, as of a date (default: all)."""
        latest: dict[tuple[str, str], AnswerRecord] = {}
        for record in self.answer_history():
            if as_of is not None and record.answered_on > as_of:
                continue
            latest[(record.site_id, record.question_id)] = record
        return sorted(latest.values(), key=lambda a: (a.site_id, a.question_id))

    # --- maturity ----------------------------------------------------------------------

    def record_maturity(self, snapshots: Sequence[MaturitySnapshot], *, actor: str) -> int:
        """Replace the snapshot of each (site, date) given, so re-recording a day is idempotent."""
        rows = [
            {
                "site_id": s.site_id,
                "function": s.function,
                "tier": s.tier,
                "score": s.score,
                "answered": s.answered,
                "questions": s.questions,
                "assessed_on": s.assessed_on,
            }
            for s in snapshots
        ]
        days = sorted({s.assessed_on for s in snapshots})
        target = ", ".join(d.isoformat() for d in days) or "-"
        with self.store.changing(actor, "maturity.record", target[:300]) as change:
            for site_id, day in {(r["site_id"], r["assessed_on"]) for r in rows}:
                change.session.execute(
                    delete(MaturityRow).where(
                        MaturityRow.site_id == site_id, MaturityRow.assessed_on == day
                    )
                )
            if rows:
                change.session.execute(insert(MaturityRow), rows)
            change.after = {"snapshots": len(rows)}
        return len(rows)

    def maturity_history(self) -> list[MaturitySnapshot]:
        """Every recorded tier, oldest day first."""
        query = select(MaturityRow).order_by(
            MaturityRow.assessed_on, MaturityRow.site_id, MaturityRow.function
        )
        with self.store.reading() as session:
            return [
                MaturitySnapshot(
                    r.site_id, r.function, r.tier, r.score, r.answered, r.questions, r.assessed_on
                )
                for r in session.scalars(query)
            ]

    # --- culture -----------------------------------------------------------------------

    def add_training(self, records: Sequence[TrainingRecord], source: str, *, actor: str) -> Merged:
        """Merge one learning-system export, keyed by content: a row is one course (or drill)
        assigned to one person on one day (``TRAINING_KEY``). A key already stored is updated
        in place (a later export may add the completion date), so importing the same export
        again, under any file name, changes nothing."""
        incoming = {_training_key(r): r for r in records}  # a row repeated in the file: last wins
        added = updated = 0
        with self.store.changing(actor, "culture.import.training", source) as change:
            session = change.session
            _one_import_at_a_time(session)
            stored = {
                (r.person_hash, r.course, r.kind, r.assigned_on): r
                for r in session.scalars(select(TrainingRow))
            }
            for key, record in incoming.items():
                values = _training_values(record)
                row = stored.get(key)
                if row is None:
                    session.add(TrainingRow(**values, source=source))
                    added += 1
                elif any(getattr(row, name) != value for name, value in values.items()):
                    for name, value in values.items():
                        setattr(row, name, value)
                    row.source = source
                    updated += 1
            change.after = {"records": len(records), "added": added, "updated": updated}
        return Merged(added, updated)

    def training(self) -> list[TrainingRecord]:
        """Every training record, in import order."""
        with self.store.reading() as session:
            return [
                TrainingRecord(
                    person_hash=r.person_hash,
                    department=r.department,
                    course=r.course,
                    assigned_on=r.assigned_on,
                    due_on=r.due_on,
                    completed_on=r.completed_on,
                    kind=TrainingKind(r.kind),
                    site_id=r.site_id,
                )
                for r in session.scalars(select(TrainingRow).order_by(TrainingRow.id))
            ]

    def save_campaign(
        self,
        campaign: Campaign,
        *,
        actor: str,
        now: dt.datetime | None = None,
        rename: bool = True,
    ) -> Merged:
        """Merge a campaign, keyed by content: a stored campaign that sent an e-mail to one
        of its recipients at the same instant (recipient hash and send time) is the same
        campaign, whatever file or name it came from. Its results are replaced by these (a
        later export holds later events); importing the same export again changes nothing.
        Without ``rename`` a matched campaign keeps its stored name (a CSV names a campaign
        after its file)."""
        now = now or dt.datetime.now(dt.UTC)
        sends = {(r.person_hash, r.sent_at) for r in campaign.results if r.sent_at is not None}
        with self.store.changing(actor, "culture.import.gophish", campaign.source) as change:
            session = change.session
            _one_import_at_a_time(session)
            matched = _matching_campaigns(session, campaign, sends)
            stored = [
                _result(r)
                for r in session.scalars(
                    select(CampaignResultRow).where(
                        CampaignResultRow.campaign_id.in_([c.id for c in matched])
                    )
                )
            ]
            before = {(r.person_hash, r.sent_at) for r in stored}
            if _unchanged(matched, stored, campaign, rename):
                change.after = {"campaign": matched[0].id, "recipients": 0, "added": 0}
                return Merged(0, 0, matched[0].id)
            target = matched[0] if matched else None
            for other in matched[1:]:  # earlier imports of one campaign under several names
                session.execute(
                    delete(CampaignResultRow).where(CampaignResultRow.campaign_id == other.id)
                )
                session.delete(other)
            if target is not None:
                session.execute(
                    delete(CampaignResultRow).where(CampaignResultRow.campaign_id == target.id)
                )
                if rename:
                    target.name = campaign.name
                target.source = campaign.source
                target.site_id = campaign.site_id or target.site_id
                target.launched_on = campaign.launched_on
                target.imported_at = now
            else:
                target = CampaignRow(
                    id=campaign.id,
                    name=campaign.name,
                    source=campaign.source,
                    site_id=campaign.site_id,
                    launched_on=campaign.launched_on,
                    imported_at=now,
                )
                session.add(target)
            session.flush()
            target_id = target.id
            rows = [
                {
                    "campaign_id": target_id,
                    "person_hash": r.person_hash,
                    "department": r.department,
                    "status": r.status.value,
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
            same = set(stored)
            added = sum((r.person_hash, r.sent_at) not in before for r in campaign.results)
            updated = sum(
                (r.person_hash, r.sent_at) in before and r not in same for r in campaign.results
            )
            change.after = {"campaign": target_id, "recipients": len(rows), "added": added}
        return Merged(added, updated, target_id)

    def campaigns(self) -> list[Campaign]:
        """Every campaign with its results, oldest launch first."""
        with self.store.reading() as session:
            results: dict[str, list[PhishingResult]] = {}
            for r in session.scalars(select(CampaignResultRow).order_by(CampaignResultRow.id)):
                results.setdefault(r.campaign_id, []).append(_result(r))
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
        """Every plan item, by due date."""
        with self.store.reading() as session:
            query = select(PlanItemRow).order_by(PlanItemRow.due_on, PlanItemRow.id)
            return [_item(r) for r in session.scalars(query)]

    def resolve_plan_item(self, prefix: str) -> str:
        """The full id of the one plan item whose id starts with ``prefix``."""
        text = prefix.strip()
        if not text:
            raise UserInputError("give a plan item id", hint="see 'imagewarden poam'")
        with self.store.reading() as session:
            query = select(PlanItemRow.id).where(PlanItemRow.id.startswith(text, autoescape=True))
            found = list(session.scalars(query.limit(2)))
        if not found:
            raise UserInputError(
                f"no plan item with id {text[:60]!r}", hint="see 'imagewarden poam'"
            )
        if len(found) > 1:
            raise UserInputError(
                f"more than one plan item starts with {text[:60]!r}", hint="give more of the id"
            )
        return found[0]

    def write_plan(
        self,
        derived: Mapping[str, PlanItem],
        seen: Mapping[str, int],
        merge: PlanMerge,
        *,
        actor: str,
    ) -> PlanWrite:
        """Apply a sync: add new items, update others in place, never losing a person's edit.

        ``derived`` holds the items the sync derived from the sources it read, by id;
        ``seen`` the revision of every item when the sync read the plan. Inside the write
        transaction (SQLite's write lock held; rows locked FOR UPDATE on PostgreSQL) each
        stored row is merged as it is now, and updated only at that revision.
        """
        added = updated = closed = conflicts = 0
        with self.store.changing(actor, "poam.sync", "plan") as change:
            session = change.session
            current = {r.id: r for r in session.scalars(select(PlanItemRow).with_for_update())}
            for item_id in sorted(set(current) | set(derived)):
                row = current.get(item_id)
                stored = None if row is None else _item(row)
                if stored is not None and stored.revision != seen.get(item_id, stored.revision):
                    conflicts += 1
                merged = merge(stored, derived.get(item_id))
                if merged is None:
                    continue
                if stored is None:
                    session.add(PlanItemRow(**_item_values(merged), revision=0))
                    added += 1
                    continue
                result = cast(
                    CursorResult[Any],
                    session.execute(
                        update(PlanItemRow)
                        .where(PlanItemRow.id == item_id, PlanItemRow.revision == stored.revision)
                        .values(
                            title=merged.title[:300],
                            severity=merged.severity.value,
                            status=merged.status.value,
                            closed_on=merged.closed_on,
                            revision=PlanItemRow.revision + 1,
                        )
                        .execution_options(synchronize_session=False)
                    ),
                )
                if result.rowcount != 1:  # pragma: no cover - the row is locked: cannot happen
                    raise RuntimeError(f"plan item {item_id} changed under its lock")
                updated += 1
                if merged.status is PlanStatus.CLOSED and stored.status is not PlanStatus.CLOSED:
                    closed += 1
            change.after = {
                "added": added,
                "updated": updated,
                "closed": closed,
                "conflicts": conflicts,
            }
        return PlanWrite(added, updated, closed, conflicts)

    def edit_plan_item(
        self,
        item_id: str,
        edit: Callable[[PlanItem], PlanItem],
        *,
        expected_revision: int | None,
        actor: str,
    ) -> PlanItem:
        """Apply a person's edit to one item (audited); refuses if it moved since
        ``expected_revision`` was read."""
        with self.store.changing(actor, "poam.edit", item_id) as change:
            row = change.session.get(PlanItemRow, item_id, with_for_update=True)
            if row is None:
                raise UserInputError(
                    f"no plan item with id {item_id[:60]!r}", hint="see 'imagewarden poam'"
                )
            stored = _item(row)
            if expected_revision is not None and stored.revision != expected_revision:
                raise UserInputError(
                    f"plan item {item_id} changed since it was read (revision "
                    f"{expected_revision}, now {stored.revision})",
                    hint="read it again and repeat the edit",
                )
            edited = edit(stored)
            change.before = _edit_audit(stored)
            row.owner = edited.owner
            row.due_on = edited.due_on
            row.status = edited.status.value
            row.milestone = edited.milestone[:300]
            row.closed_on = edited.closed_on
            row.edited = " ".join(sorted(f.value for f in edited.edited))
            row.revision = stored.revision + 1
            change.session.flush()
            result = _item(row)
            change.after = _edit_audit(result)
            return result


def _result(r: CampaignResultRow) -> PhishingResult:
    return PhishingResult(
        person_hash=r.person_hash,
        department=r.department,
        status=GophishStatus(r.status),
        sent=r.sent,
        clicked=r.clicked,
        submitted=r.submitted,
        reported=r.reported,
        sent_at=r.sent_at,
        reported_at=r.reported_at,
    )


def _answer(r: AnswerRow) -> AnswerRecord:
    return AnswerRecord(
        site_id=r.site_id,
        question_id=r.question_id,
        answer=Answer(r.answer),
        owner=r.owner,
        evidence=r.evidence,
        answered_on=r.answered_on,
        due_on=r.due_on,
        notes=r.notes,
    )


def _latest_answer(session: Session, record: AnswerRecord) -> AnswerRecord | None:
    query = (
        select(AnswerRow)
        .where(AnswerRow.site_id == record.site_id, AnswerRow.question_id == record.question_id)
        .order_by(AnswerRow.answered_on.desc(), AnswerRow.id.desc())
        .limit(1)
    )
    row = session.scalars(query).first()
    return None if row is None else _answer(row)


def _answer_audit(a: AnswerRecord) -> dict[str, Any]:
    """An answer as the audit log records it (roles and dates, no people)."""
    return {
        "answer": a.answer.value,
        "owner": a.owner,
        "answered_on": a.answered_on.isoformat(),
        "due_on": a.due_on.isoformat() if a.due_on else None,
    }


def _edit_audit(item: PlanItem) -> dict[str, Any]:
    return {
        "owner": item.owner,
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "status": item.status.value,
        "milestone": item.milestone,
        "revision": item.revision,
    }


def _item_values(i: PlanItem) -> dict[str, Any]:
    return {
        "id": i.id,
        "source_kind": i.source_kind.value,
        "source_id": i.source_id[:200],
        "site_id": i.site_id,
        "title": i.title[:300],
        "severity": i.severity.value,
        "owner": i.owner,
        "milestone": i.milestone[:300],
        "due_on": i.due_on,
        "status": i.status.value,
        "created_on": i.created_on,
        "closed_on": i.closed_on,
        "edited": " ".join(sorted(f.value for f in i.edited)),
    }


def _item(r: PlanItemRow) -> PlanItem:
    return PlanItem(
        id=r.id,
        source_kind=PlanSource(r.source_kind),
        source_id=r.source_id,
        site_id=r.site_id,
        title=r.title,
        severity=Severity(r.severity),
        owner=r.owner,
        milestone=r.milestone,
        due_on=r.due_on,
        status=PlanStatus(r.status),
        created_on=r.created_on,
        closed_on=r.closed_on,
        revision=r.revision,
        edited=frozenset(PlanField(f) for f in r.edited.split()),
    )
