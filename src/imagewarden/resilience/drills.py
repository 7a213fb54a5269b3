"""Drills: a schedule, a timestamped run log, and after-action items with owners and dates.

Improvement items are the department's plan of action for resilience: the "resilience"
finding producer raises a finding for each site whose items are past due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from imagewarden.model import SubjectKind, UserInputError
from imagewarden.resilience.records import record_facts
from imagewarden.resilience.store.tables import DrillEventRow, DrillItemRow, DrillRow
from imagewarden.store import Store

if TYPE_CHECKING:
    from imagewarden.contracts import ImprovementAction

EVENT_KINDS = ("inject", "action", "note")
ITEM_KINDS = ("went_well", "gap", "improvement")
OVERDUE_DAYS = 365
"""Drill at least yearly."""


@dataclass(frozen=True)
class Drill:
    id: int
    site_id: str
    title: str
    scenario: str
    scheduled_for: dt.date
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str
    text: str


@dataclass(frozen=True)
class Item:
    id: int
    drill_id: int
    kind: str
    text: str
    owner: str
    due: dt.date | None
    done_on: dt.date | None

    def overdue(self, today: dt.date) -> bool:
        return (
            self.kind == "improvement"
            and self.done_on is None
            and self.due is not None
            and self.due < today
        )


def _drill(row: DrillRow) -> Drill:
    return Drill(
        row.id, row.site_id, row.title, row.scenario, row.scheduled_for,
        row.started_at, row.finished_at,
    )  # fmt: skip


def _item(row: DrillItemRow) -> Item:
    return Item(row.id, row.drill_id, row.kind, row.text, row.owner, row.due, row.done_on)


def schedule(store: Store, site_id: str, title: str, on: dt.date, scenario: str = "") -> int:
    if site_id not in {s.id for s in store.sites()}:
        raise UserInputError(f"no site {site_id!r} in the inventory")
    with Session(store.engine) as session, session.begin():
        row = DrillRow(site_id=site_id, title=title, scenario=scenario, scheduled_for=on)
        session.add(row)
        session.flush()
        return row.id


def drills(store: Store, site_id: str | None = None) -> list[Drill]:
    with Session(store.engine) as session:
        query = select(DrillRow).order_by(DrillRow.scheduled_for, DrillRow.id)
        if site_id is not None:
            query = query.where(DrillRow.site_id == site_id)
        return [_drill(r) for r in session.scalars(query)]


def get(store: Store, drill_id: int) -> Drill:
    with Session(store.engine) as session:
        row = session.get(DrillRow, drill_id)
        if row is None:
            raise UserInputError(f"no drill {drill_id}")
        return _drill(row)


def log(store: Store, drill_id: int, kind: str, text: str, at: dt.datetime | None = None) -> None:
    """Record an inject, action or note; the first entry marks the drill as started."""
    if kind not in EVENT_KINDS:
        raise UserInputError(f"kind must be one of {', '.join(EVENT_KINDS)}")
    at = at or dt.datetime.now(dt.UTC)
    with Session(store.engine) as session, session.begin():
        row = session.get(DrillRow, drill_id)
        if row is None:
            raise UserInputError(f"no drill {drill_id}")
        if row.finished_at is not None:
            raise UserInputError(f"drill {drill_id} is finished; its log is closed")
        if row.started_at is None:
            row.started_at = at
        session.add(DrillEventRow(drill_id=drill_id, at=at, kind=kind, text=text))


def events(store: Store, drill_id: int) -> list[Event]:
    with Session(store.engine) as session:
        query = (
            select(DrillEventRow)
            .where(DrillEventRow.drill_id == drill_id)
            .order_by(DrillEventRow.at, DrillEventRow.id)
        )
        return [Event(r.at, r.kind, r.text) for r in session.scalars(query)]


@dataclass(frozen=True)
class NewItem:
    kind: str
    text: str
    owner: str = ""
    due: dt.date | None = None


def parse_improvement(value: str) -> NewItem:
    """ "text | owner | YYYY-MM-DD": every improvement item needs an owner and a due date."""
    parts = [p.strip() for p in value.split("|")]
    if len(parts) != 3 or not all(parts):
        raise UserInputError(f"improvement {value!r}: write it as 'what | owner | YYYY-MM-DD'")
    try:
        due = dt.date.fromisoformat(parts[2])
    except ValueError:
        raise UserInputError(
            f"improvement {value!r}: due date {parts[2]!r} is not YYYY-MM-DD"
        ) from None
    return NewItem("improvement", parts[0], parts[1], due)


def finish(
    store: Store, drill_id: int, items: list[NewItem], at: dt.datetime | None = None
) -> Drill:
    """Close the drill with its after-action items; record the drill date for the site."""
    at = at or dt.datetime.now(dt.UTC)
    with Session(store.engine) as session, session.begin():
        row = session.get(DrillRow, drill_id)
        if row is None:
            raise UserInputError(f"no drill {drill_id}")
        if row.started_at is None:
            raise UserInputError(f"drill {drill_id} has no log yet; log its injects first")
        row.finished_at = row.finished_at or at
        for item in items:
            session.add(
                DrillItemRow(
                    drill_id=drill_id, kind=item.kind, text=item.text, owner=item.owner,
                    due=item.due,
                )
            )  # fmt: skip
        drill = _drill(row)
    record_facts(
        store, SubjectKind.SITE, drill.site_id, {"site.last_downtime_drill": at.date()}, at
    )
    return drill


def items(store: Store, drill_id: int | None = None) -> list[Item]:
    with Session(store.engine) as session:
        query = select(DrillItemRow).order_by(DrillItemRow.drill_id, DrillItemRow.id)
        if drill_id is not None:
            query = query.where(DrillItemRow.drill_id == drill_id)
        return [_item(r) for r in session.scalars(query)]


def complete_item(store: Store, item_id: int, on: dt.date) -> None:
    with Session(store.engine) as session, session.begin():
        row = session.get(DrillItemRow, item_id)
        if row is None:
            raise UserInputError(f"no after-action item {item_id}")
        row.done_on = on


def open_improvements_by_site(store: Store) -> dict[str, list[Item]]:
    """Improvement items not done yet, by the site of their drill."""
    site_of = {d.id: d.site_id for d in drills(store)}
    found: dict[str, list[Item]] = {}
    for item in items(store):
        if item.kind == "improvement" and item.done_on is None:
            found.setdefault(site_of[item.drill_id], []).append(item)
    return found


def improvement_actions(store: Store) -> list[ImprovementAction]:
    """Every improvement item of every after-action report, for the plan of action."""
    from imagewarden.contracts import ImprovementAction

    site_of = {d.id: d.site_id for d in drills(store)}
    return [
        ImprovementAction(
            source_id=f"drill-{item.drill_id}-item-{item.id}",
            site_id=site_of[item.drill_id],
            title=f"Drill improvement: {item.text}",
            owner=item.owner,
            due_on=item.due,
            done=item.done_on is not None,
        )
        for item in items(store)
        if item.kind == "improvement"
    ]
