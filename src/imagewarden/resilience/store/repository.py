"""The resilience capability's repository: the only module that reads or writes its tables.

Every write a person or a worker makes (a team member added, a drill scheduled, logged or
finished, an item done, a backup check applied) is one audited transaction
(``Store.changing``); the state machine of drills is checked inside that transaction, so two
commands at once cannot both finish a drill. Reads return frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from imagewarden.model import FactValue, SubjectKind, UserInputError
from imagewarden.resilience.drills import (
    Drill,
    DrillEvent,
    DrillItem,
    DrillItemKind,
    DrillLogKind,
    DrillOperation,
    DrillState,
    NewDrillItem,
)
from imagewarden.resilience.records import (
    BackupCheck,
    BackupCheckKind,
    NewBackupCheck,
    NewTeamMember,
    TeamMember,
    fact_batch,
)
from imagewarden.resilience.store.tables import (
    BackupCheckRow,
    DrillEventRow,
    DrillItemRow,
    DrillRow,
    TeamMemberRow,
)
from imagewarden.store import ObservationBatch, Store, replace_observations
from imagewarden.store.audit import Change

logger = logging.getLogger(__name__)

LAST_DRILL_FACT = "site.last_downtime_drill"


def _backup_check(row: BackupCheckRow) -> BackupCheck:
    started = row.started_at
    assert started is not None  # the column is not nullable
    return BackupCheck(
        kind=BackupCheckKind(row.kind),
        root=row.root,
        asset_id=row.asset_id,
        started_at=started,
        files=row.files,
        bytes=row.bytes,
        problem_files=row.problem_files,
        manifest=row.manifest,
        summary=dict(row.summary or {}),
        id=row.id,
    )


def _member(row: TeamMemberRow) -> TeamMember:
    return TeamMember(
        role=row.role,
        name=row.name,
        contact=row.contact,
        rank=row.rank,
        site_id=row.site_id,
        id=row.id,
    )


def _drill(row: DrillRow) -> Drill:
    return Drill(
        id=row.id,
        site_id=row.site_id,
        title=row.title,
        scenario=row.scenario,
        scheduled_for=row.scheduled_for,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _event(row: DrillEventRow) -> DrillEvent:
    at = row.at
    assert at is not None  # the column is not nullable
    return DrillEvent(row.id, row.drill_id, at, DrillLogKind(row.kind), row.text)


def _item(row: DrillItemRow) -> DrillItem:
    return DrillItem(
        id=row.id,
        drill_id=row.drill_id,
        kind=DrillItemKind(row.kind),
        text=row.text,
        owner=row.owner,
        due=row.due,
        done_on=row.done_on,
    )


class _AlreadyFinished(Exception):
    """Raised under the lock when another command finished the drill first."""

    def __init__(self, drill: Drill) -> None:
        super().__init__(f"drill {drill.id} already finished")
        self.drill = drill


def _locked_drill(session: Session, drill_id: int) -> DrillRow:
    query = select(DrillRow).where(DrillRow.id == drill_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # two commands on one drill: the second waits
    row = session.scalars(query).first()
    if row is None:
        raise UserInputError(f"no drill {drill_id}", hint="see 'imagewarden drill list'")
    return row


class ResilienceRepository:
    """Backup checks, the incident response team and drills of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def latest_facts(self, name: str) -> dict[str, FactValue]:
        """Subject id -> the newest observed value of fact ``name`` (any source)."""
        newest: dict[str, tuple[dt.datetime, FactValue]] = {}
        for obs in self.store.observations(names=[name]):
            seen = newest.get(obs.subject_id)
            if seen is None or obs.observed_at >= seen[0]:
                newest[obs.subject_id] = (obs.observed_at, obs.value)
        return {subject: value for subject, (_at, value) in newest.items()}

    # --- backup checks -------------------------------------------------------------------

    def save_backup_check(
        self, actor: str, check: NewBackupCheck, facts: ObservationBatch
    ) -> BackupCheck:
        """Store one backup check and its facts together, as one audited change."""
        target = f"asset:{check.asset_id}"
        with self.store.changing(actor, f"backup.{check.kind.value}", target) as change:
            row = BackupCheckRow(
                kind=check.kind.value,
                root=check.root,
                asset_id=check.asset_id,
                started_at=check.started_at,
                files=check.files,
                bytes=check.bytes,
                problem_files=check.problem_files,
                manifest=check.manifest,
                summary=dict(check.summary),
            )
            change.session.add(row)
            change.session.flush()
            observations = replace_observations(change.session, facts)
            change.after = {
                "check": row.id,
                "files": check.files,
                "problem_files": check.problem_files,
                "facts": sorted(facts.names or ()),
            }
            stored = _backup_check(row)
        logger.info(
            "backup %s %d stored for asset %s: %d files, %d with problems, %d facts",
            check.kind.value, stored.id, check.asset_id, check.files, check.problem_files,
            observations,
        )  # fmt: skip
        return stored

    def backup_checks(self, limit: int = 50, asset_id: str | None = None) -> list[BackupCheck]:
        """Stored backup checks, newest first."""
        query = select(BackupCheckRow).order_by(BackupCheckRow.id.desc())
        if asset_id is not None:
            query = query.where(BackupCheckRow.asset_id == asset_id)
        if limit:
            query = query.limit(limit)
        with self.store.reading() as session:
            return [_backup_check(row) for row in session.scalars(query)]

    # --- incident response team ----------------------------------------------------------

    def add_team_member(self, actor: str, member: NewTeamMember) -> TeamMember:
        """Add a person to a role (audited)."""
        with self.store.changing(actor, "ir.team.add", f"role:{member.role}") as change:
            row = TeamMemberRow(
                role=member.role,
                name=member.name,
                contact=member.contact,
                rank=member.rank,
                site_id=member.site_id,
            )
            change.session.add(row)
            change.session.flush()
            change.after = {
                "member": row.id,
                "role": member.role,
                "name": member.name,
                "rank": member.rank,
                "site": member.site_id,
            }
            return _member(row)

    def team(self) -> list[TeamMember]:
        """Every member, by role and call order."""
        query = select(TeamMemberRow).order_by(
            TeamMemberRow.role, TeamMemberRow.rank, TeamMemberRow.id
        )
        with self.store.reading() as session:
            return [_member(row) for row in session.scalars(query)]

    # --- drills --------------------------------------------------------------------------

    def schedule_drill(
        self, actor: str, *, site_id: str, title: str, on: dt.date, scenario: str
    ) -> Drill:
        """Put a drill on the schedule (audited)."""
        with self.store.changing(actor, "drill.schedule", "drill") as change:
            row = DrillRow(site_id=site_id, title=title, scenario=scenario, scheduled_for=on)
            change.session.add(row)
            change.session.flush()
            change.target = f"drill:{row.id}"
            change.after = {"site": site_id, "on": on.isoformat(), "scenario": scenario}
            return _drill(row)

    def drills(self, site_id: str | None = None) -> list[Drill]:
        """Drills by scheduled date."""
        query = select(DrillRow).order_by(DrillRow.scheduled_for, DrillRow.id)
        if site_id is not None:
            query = query.where(DrillRow.site_id == site_id)
        with self.store.reading() as session:
            return [_drill(row) for row in session.scalars(query)]

    def drill(self, drill_id: int) -> Drill:
        """One drill; a ``UserInputError`` when there is none with that id."""
        with self.store.reading() as session:
            row = session.get(DrillRow, drill_id)
            if row is None:
                raise UserInputError(f"no drill {drill_id}", hint="see 'imagewarden drill list'")
            return _drill(row)

    def log_drill_event(
        self, actor: str, drill_id: int, kind: DrillLogKind, text: str, at: dt.datetime
    ) -> tuple[Drill, DrillEvent]:
        """Add a run-log entry; the first one starts the drill. Refused once it finished."""
        with self.store.changing(actor, "drill.log", f"drill:{drill_id}") as change:
            row = _locked_drill(change.session, drill_id)
            before = _drill(row)
            before.require(DrillOperation.LOG)
            if row.started_at is None:
                row.started_at = at
            event = DrillEventRow(drill_id=drill_id, at=at, kind=kind.value, text=text)
            change.session.add(event)
            change.session.flush()
            after = _drill(row)
            change.before = {"state": before.state.value}
            change.after = {
                "state": after.state.value,
                "entry": event.id,
                "kind": kind.value,
                "at": at.isoformat(),
            }
            return after, _event(event)

    def finish_drill(
        self, actor: str, drill_id: int, items: Sequence[NewDrillItem], at: dt.datetime
    ) -> tuple[Drill, bool]:
        """Close a running drill with its after-action items and record the drill date as
        the site's ``site.last_downtime_drill``, in one audited transaction.

        Returns the drill and whether this call finished it. The state is decided under the
        drill's lock: a drill another command finished meanwhile is returned unchanged (and
        nothing is audited) when no items are given, and refused when items are given,
        since a finished drill's items are closed.
        """
        try:
            with self.store.changing(actor, "drill.finish", f"drill:{drill_id}") as change:
                return self._finish_locked(change, drill_id, items, at), True
        except _AlreadyFinished as finished:
            return finished.drill, False

    @staticmethod
    def _finish_locked(
        change: Change, drill_id: int, items: Sequence[NewDrillItem], at: dt.datetime
    ) -> Drill:
        session = change.session
        row = _locked_drill(session, drill_id)
        before = _drill(row)
        if before.state is DrillState.FINISHED and not items:
            raise _AlreadyFinished(before)  # leaves the transaction, and the audit, unwritten
        before.require(DrillOperation.FINISH)
        row.finished_at = at
        for item in items:
            session.add(
                DrillItemRow(
                    drill_id=drill_id, kind=item.kind.value, text=item.text,
                    owner=item.owner, due=item.due,
                )
            )  # fmt: skip
        session.flush()
        drill = _drill(row)
        fact = fact_batch(SubjectKind.SITE, drill.site_id, {LAST_DRILL_FACT: at.date()}, at)
        replace_observations(session, fact)
        change.before = {"state": before.state.value}
        change.after = {
            "state": drill.state.value,
            "items": {k.value: sum(1 for i in items if i.kind is k) for k in DrillItemKind},
        }
        return drill

    def drill_events(self, drill_id: int) -> list[DrillEvent]:
        """A drill's run log, in time order."""
        query = (
            select(DrillEventRow)
            .where(DrillEventRow.drill_id == drill_id)
            .order_by(DrillEventRow.at, DrillEventRow.id)
        )
        with self.store.reading() as session:
            return [_event(row) for row in session.scalars(query)]

    def drill_items(self, drill_id: int | None = None) -> list[DrillItem]:
        """After-action items (of one drill, or of all), in the order they were written."""
        query = select(DrillItemRow).order_by(DrillItemRow.drill_id, DrillItemRow.id)
        if drill_id is not None:
            query = query.where(DrillItemRow.drill_id == drill_id)
        with self.store.reading() as session:
            return [_item(row) for row in session.scalars(query)]

    def complete_item(self, actor: str, item_id: int, on: dt.date) -> DrillItem:
        """Mark an improvement item done (audited); done items stay done."""
        with self.store.changing(actor, "drill.item.done", f"drill-item:{item_id}") as change:
            row = change.session.get(DrillItemRow, item_id)
            if row is None:
                raise UserInputError(
                    f"no after-action item {item_id}", hint="see 'imagewarden drill list'"
                )
            _drill(_locked_drill(change.session, row.drill_id)).require(
                DrillOperation.COMPLETE_ITEM
            )
            if row.kind != DrillItemKind.IMPROVEMENT.value:
                raise UserInputError(
                    f"after-action item {item_id} is a {row.kind.replace('_', ' ')} note, "
                    "not an improvement; only improvements are done"
                )
            if row.done_on is not None:
                raise UserInputError(f"after-action item {item_id} was done on {row.done_on}")
            change.before = {"done_on": None}
            row.done_on = on
            change.after = {"done_on": on.isoformat()}
            return _item(row)
