"""The resilience tables on SQLite and PostgreSQL: migration matches the models; round trips."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from imagewarden.app import open_store
from imagewarden.model import SubjectKind, UserInputError
from imagewarden.resilience.drills import DrillItemKind, DrillLogKind, DrillState, NewDrillItem
from imagewarden.resilience.records import (
    BackupCheckKind,
    NewBackupCheck,
    NewTeamMember,
    fact_batch,
)
from imagewarden.resilience.store.repository import ResilienceRepository
from imagewarden.resilience.store.tables import Base
from tests.resilience.department import department

NOW = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def test_migration_creates_exactly_the_resilience_tables(db_url: str) -> None:
    with open_store(db_url, create=True) as store, store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if "resilience_" in repr(d)]
    assert ours == []


def test_records_round_trip_as_frozen_values_and_every_write_is_audited(db_url: str) -> None:
    with open_store(db_url, create=True) as store:
        store.save_inventory(department())
        records = ResilienceRepository(store)
        facts = fact_batch(SubjectKind.ASSET, "PACS-1", {"backup.integrity_problems": 2}, NOW)
        check = records.save_backup_check(
            "alice",
            NewBackupCheck(
                BackupCheckKind.VERIFY, "/backup", "PACS-1", NOW, files=3_000_000,
                bytes=5 * 10**12, problem_files=2, manifest="m.jsonl", summary={"studies": 10},
            ),
            facts,
        )  # fmt: skip
        assert records.backup_checks()[0] == check
        assert check.bytes == 5 * 10**12  # beyond 32-bit integers
        member = records.add_team_member("alice", NewTeamMember("pacs-admin", "Rota", "x", 2))
        assert records.team() == [member] and member.rank == 2
        drill = records.schedule_drill(
            "bob", site_id="north", title="Drill", on=NOW.date(), scenario=""
        )
        assert drill.state is DrillState.SCHEDULED
        running, event = records.log_drill_event("bob", drill.id, DrillLogKind.INJECT, "Go", NOW)
        assert running.state is DrillState.RUNNING and event.kind is DrillLogKind.INJECT
        finished, finished_now = records.finish_drill(
            "bob", drill.id, [NewDrillItem(DrillItemKind.GAP, "No forms")], NOW
        )
        assert finished_now
        assert finished.state is DrillState.FINISHED and finished.finished_at == NOW
        assert [e.text for e in records.drill_events(drill.id)] == ["Go"]
        # a newer measurement replaces the older one
        later = NOW + dt.timedelta(days=1)
        store.apply_observations(
            fact_batch(SubjectKind.ASSET, "PACS-1", {"backup.integrity_problems": 0}, later)
        )
        assert records.latest_facts("backup.integrity_problems") == {"PACS-1": 0}
        assert records.latest_facts("site.last_downtime_drill") == {"north": NOW.date()}
        actions = [
            (e.actor, e.action)
            for e in reversed(store.audit_entries())
            if e.action != "inventory.import"
        ]
        assert actions == [
            ("alice", "backup.verify"),
            ("alice", "ir.team.add"),
            ("bob", "drill.schedule"),
            ("bob", "drill.log"),
            ("bob", "drill.finish"),
        ]
        assert store.verify_audit().intact


def test_a_drill_finished_meanwhile_is_reported_again_not_refused(db_url: str) -> None:
    """Two `drill report` runs at once on a running drill: the state is decided under the
    drill's lock, so the second sees the drill the first finished and writes its report
    again; with new items it is refused, as for any finished drill."""
    with open_store(db_url, create=True) as store:
        store.save_inventory(department())
        records = ResilienceRepository(store)
        drill = records.schedule_drill("a", site_id="north", title="D", on=NOW.date(), scenario="")
        records.log_drill_event("a", drill.id, DrillLogKind.INJECT, "Go", NOW)
        audited = len(store.audit_entries())
        first, first_finished = records.finish_drill("a", drill.id, [], NOW)
        later = NOW + dt.timedelta(minutes=1)
        second, second_finished = records.finish_drill("b", drill.id, [], later)
        assert first_finished and not second_finished
        assert second == first and second.finished_at == NOW
        assert len(store.audit_entries()) == audited + 1  # the second changed nothing
        gap = NewDrillItem(DrillItemKind.GAP, "No forms")
        with pytest.raises(UserInputError, match="items are closed"):
            records.finish_drill("b", drill.id, [gap], later)
        assert records.drill_items(drill.id) == []
