"""Drills: a schedule, a timestamped run log, and after-action items with owners and dates.

A drill follows one state machine, enforced by every command that touches it::

    scheduled --log--> running --log--> running --report--> finished --done ITEM--> finished

``drill log`` starts a scheduled drill and adds to a running one; ``drill report`` finishes
a running drill with its after-action items; a finished drill's log and items are closed
(its report can be written again, unchanged). Improvement items are the department's plan of
action for resilience: the "resilience" finding producer raises a finding for each site
whose items are past due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from imagewarden.model import UserInputError

if TYPE_CHECKING:
    from imagewarden.contracts import ImprovementAction
    from imagewarden.store import Store

OVERDUE_DAYS = 365
"""Drill at least yearly."""


class DrillState(StrEnum):
    """Where a drill is in its life."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    FINISHED = "finished"


class DrillLogKind(StrEnum):
    """What a run-log entry records."""

    INJECT = "inject"
    ACTION = "action"
    NOTE = "note"


class DrillItemKind(StrEnum):
    """The three parts of an after-action report."""

    WENT_WELL = "went_well"
    GAP = "gap"
    IMPROVEMENT = "improvement"


class DrillOperation(StrEnum):
    """What a command asks of a drill; the state machine says where each is allowed."""

    LOG = "log"
    FINISH = "finish"
    COMPLETE_ITEM = "complete_item"


_ALLOWED: dict[DrillState, frozenset[DrillOperation]] = {
    DrillState.SCHEDULED: frozenset({DrillOperation.LOG}),
    DrillState.RUNNING: frozenset({DrillOperation.LOG, DrillOperation.FINISH}),
    DrillState.FINISHED: frozenset({DrillOperation.COMPLETE_ITEM}),
}


@dataclass(frozen=True, slots=True)
class Drill:
    """A drill on the schedule, with when it started and finished."""

    id: int
    site_id: str
    title: str
    scenario: str
    scheduled_for: dt.date
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def state(self) -> DrillState:
        """Scheduled until the first log entry, running until the report, then finished."""
        if self.finished_at is not None:
            return DrillState.FINISHED
        if self.started_at is not None:
            return DrillState.RUNNING
        return DrillState.SCHEDULED

    def require(self, operation: DrillOperation) -> DrillState:
        """The state after ``operation``; a ``UserInputError`` when the state forbids it."""
        state = self.state
        if operation not in _ALLOWED[state]:
            raise _refusal(self, operation)
        if operation is DrillOperation.LOG:
            return DrillState.RUNNING
        if operation is DrillOperation.FINISH:
            return DrillState.FINISHED
        return state


def _refusal(drill: Drill, operation: DrillOperation) -> UserInputError:
    state = drill.state
    if state is DrillState.FINISHED:
        when = drill.finished_at.strftime("%Y-%m-%d %H:%M UTC") if drill.finished_at else ""
        closed = "its log is closed" if operation is DrillOperation.LOG else "its items are closed"
        return UserInputError(
            f"drill {drill.id} finished at {when}; {closed}",
            hint=f"'imagewarden drill report {drill.id}' without items writes its report again",
        )
    if operation is DrillOperation.FINISH:
        return UserInputError(
            f"drill {drill.id} has no log yet; log its injects first",
            hint=f"imagewarden drill log {drill.id} TEXT --kind inject",
        )
    return UserInputError(f"drill {drill.id} is {state.value}; its items are not written yet")


@dataclass(frozen=True, slots=True)
class DrillEvent:
    """One entry of a drill's run log."""

    id: int
    drill_id: int
    at: dt.datetime
    kind: DrillLogKind
    text: str


@dataclass(frozen=True, slots=True)
class NewDrillItem:
    """An after-action item about to be recorded."""

    kind: DrillItemKind
    text: str
    owner: str = ""
    due: dt.date | None = None


@dataclass(frozen=True, slots=True)
class DrillItem:
    """A recorded after-action item."""

    id: int
    drill_id: int
    kind: DrillItemKind
    text: str
    owner: str
    due: dt.date | None
    done_on: dt.date | None

    @property
    def is_open_improvement(self) -> bool:
        """An improvement nobody has marked done yet."""
        return self.kind is DrillItemKind.IMPROVEMENT and self.done_on is None

    def overdue(self, today: dt.date) -> bool:
        """An open improvement whose due date has passed."""
        return self.is_open_improvement and self.due is not None and self.due < today


def parse_improvement(value: str) -> NewDrillItem:
    """ "text | owner | YYYY-MM-DD": every improvement item needs an owner and a due date."""
    parts = [p.strip() for p in value.split("|")]
    shown = _excerpt(value)
    if len(parts) != 3 or not all(parts):
        raise UserInputError(f"improvement {shown!r}: write it as 'what | owner | YYYY-MM-DD'")
    try:
        due = dt.date.fromisoformat(parts[2])
    except ValueError:
        raise UserInputError(
            f"improvement {shown!r}: due date {_excerpt(parts[2])!r} is not YYYY-MM-DD"
        ) from None
    return NewDrillItem(DrillItemKind.IMPROVEMENT, parts[0], parts[1], due)


def _excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def open_improvements_by_site(
    drills: Iterable[Drill], items: Iterable[DrillItem]
) -> dict[str, list[DrillItem]]:
    """Improvement items not done yet, by the site of their drill."""
    site_of = {d.id: d.site_id for d in drills}
    found: dict[str, list[DrillItem]] = {}
    for item in items:
        if item.is_open_improvement and item.drill_id in site_of:
            found.setdefault(site_of[item.drill_id], []).append(item)
    return found


def actions_from(drills: Iterable[Drill], items: Iterable[DrillItem]) -> list[ImprovementAction]:
    """Every improvement item of every after-action report, for the plan of action."""
    from imagewarden.contracts import ImprovementAction

    site_of = {d.id: d.site_id for d in drills}
    return [
        ImprovementAction(
            source_id=f"drill-{item.drill_id}-item-{item.id}",
            site_id=site_of[item.drill_id],
            title=f"Drill improvement: {item.text}",
            owner=item.owner,
            due_on=item.due,
            done=item.done_on is not None,
        )
        for item in items
        if item.kind is DrillItemKind.IMPROVEMENT and item.drill_id in site_of
    ]


def improvement_actions(store: Store) -> list[ImprovementAction]:
    """The plan of action's drill items, read from ``store`` (the capability's plan_items)."""
    from imagewarden.resilience.store.repository import ResilienceRepository

    records = ResilienceRepository(store)
    return actions_from(records.drills(), records.drill_items())
