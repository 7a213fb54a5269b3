"""The traffic tables on SQLite and PostgreSQL: the migration matches the models; round trips."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from imagewarden.app import open_store
from imagewarden.traffic.store import repository
from imagewarden.traffic.store.tables import Base
from tests.traffic import department as dept

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def test_migration_creates_exactly_the_traffic_tables(db_url: str) -> None:
    with open_store(db_url, create=True) as store, store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if "traffic_" in repr(d)]
    assert ours == []


def test_flows_round_trip(db_url: str) -> None:
    with open_store(db_url, create=True) as store:
        store.save_inventory(dept.department())
        with store.writing() as session:
            capture_id, replaced = repository.replace_capture(session, dept.batch(), "north", NOW)
        assert not replaced
        stored = repository.flows(store, "north")
        assert [s.flow for s in stored] == list(dept.flows())
        assert {s.capture_id for s in stored} == {capture_id}
        assert repository.flows(store, "south") == []
        (capture,) = repository.captures(store)
        assert capture.files == ("north.pcapng",) and capture.flows == len(dept.flows())
        assert capture.started_at is not None
