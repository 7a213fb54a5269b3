"""The resilience tables on SQLite and PostgreSQL: migration matches the models; round trips."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from imagewarden.app import open_store
from imagewarden.model import SubjectKind
from imagewarden.resilience import drills
from imagewarden.resilience.records import (
    add_team_member,
    backup_checks,
    latest_facts,
    record_facts,
    save_backup_check,
    team,
)
from imagewarden.resilience.store.tables import Base
from tests.resilience.department import department

NOW = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def test_migration_creates_exactly_the_resilience_tables(db_url: str) -> None:
    with open_store(db_url, create=True) as store, store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if "resilience_" in repr(d)]
    assert ours == []


def test_records_round_trip(db_url: str) -> None:
    with open_store(db_url, create=True) as store:
        store.save_inventory(department())
        check_id = save_backup_check(
            store, kind="verify", root="/backup", asset_id="PACS-1", started_at=NOW,
            files=3_000_000, size=5 * 10**12, problem_files=2, manifest="m.jsonl",
            summary={"studies": 10},
        )  # fmt: skip
        assert backup_checks(store)[0]["id"] == check_id
        assert backup_checks(store)[0]["bytes"] == 5 * 10**12  # beyond 32-bit integers
        add_team_member(store, role="pacs-admin", name="Rota", contact="x", rank=2, site_id="")
        assert team(store)[0]["rank"] == 2
        drill_id = drills.schedule(store, "north", "Drill", NOW.date())
        drills.log(store, drill_id, "inject", "Go", NOW)
        drills.finish(store, drill_id, [drills.NewItem("gap", "No forms")], NOW)
        assert [e.text for e in drills.events(store, drill_id)] == ["Go"]
        # a newer measurement replaces the older one
        record_facts(store, SubjectKind.ASSET, "PACS-1", {"backup.integrity_problems": 5}, NOW)
        later = NOW + dt.timedelta(days=1)
        record_facts(store, SubjectKind.ASSET, "PACS-1", {"backup.integrity_problems": 0}, later)
        assert latest_facts(store, "backup.integrity_problems") == {"PACS-1": 0}
        assert latest_facts(store, "site.last_downtime_drill") == {"north": NOW.date()}
