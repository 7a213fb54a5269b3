"""Bulk work keeps the cyclic garbage collector out, and gives it back as it found it:
a web server or a site worker that runs an assessment or a match goes on collecting.

Bulk writes go a batch at a time: a large inventory import once built one statement with
the parameters of all 870,000 observations of 50,000 assets (1.6 GB).
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from imagewarden.app import open_workspace
from imagewarden.demo.enterprise import generate_enterprise
from imagewarden.inventory.api import import_inventory
from imagewarden.store import bulk
from imagewarden.store.bulk import batches, no_cyclic_gc
from imagewarden.store.schema import AssetRow, ObservationRow, ServiceRow


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_enabled")
def test_no_collection_runs_inside_and_the_collector_is_back_after() -> None:
    collections: list[str] = []

    def seen(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(phase)

    gc.callbacks.append(seen)
    try:
        with no_cyclic_gc():
            assert not gc.isenabled()
            # far more container allocations than a generation-0 threshold
            kept = [[[]] for _ in range(200_000)]
            inside = len(collections)
        assert len(kept) == 200_000
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        gc.callbacks.remove(seen)
    assert inside == 0


@pytest.mark.usefixtures("collector_enabled")
def test_the_collector_is_back_after_an_error_and_after_nested_use() -> None:
    with pytest.raises(RuntimeError), no_cyclic_gc():
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()  # the inner block does not turn it back on early
        raise RuntimeError
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_disabled_collector_stays_disabled() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_batches_take_rows_as_needed_and_keep_every_row() -> None:
    made: list[int] = []

    def rows() -> Iterator[int]:
        for n in range(7):
            made.append(n)
            yield n

    seen = []
    for batch in batches(rows(), 3):
        assert len(made) - sum(map(len, seen)) == len(batch)  # nothing made ahead
        seen.append(batch)
    assert seen == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches([], 3)) == []


_TABLE = re.compile(r"^\s*(INSERT INTO|UPDATE) (\w+)", re.IGNORECASE)


def test_an_inventory_import_writes_its_rows_a_batch_at_a_time(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every statement of an import and of a re-import carries at most one batch of rows,
    and every row is stored: observations, assets and services."""
    monkeypatch.setattr(bulk, "WRITE_BATCH", 15)
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(generate_enterprise(40, 3, seed=5)), encoding="utf-8")
    statements: list[tuple[str, str, int]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        found = _TABLE.match(statement)
        if found:
            rows = len(parameters) if many else 1
            statements.append((found.group(1).upper(), found.group(2).strip('"'), rows))

    with open_workspace(db_url, create=True, actor="test") as workspace:
        event.listen(workspace.store.engine, "before_cursor_execute", record)
        for _ in range(2):  # the second import updates every asset
            import_inventory(workspace, [inventory])
        with workspace.store.connection() as connection:
            stored = {
                row.__tablename__: connection.scalar(select(func.count()).select_from(row))
                for row in (ObservationRow, AssetRow, ServiceRow)
            }
    assert max(rows for _kind, _table, rows in statements) <= 15
    # (statement, table): how many times each stored row was written by the two imports
    for kind, table, times in (
        ("INSERT INTO", "observations", 2),
        ("INSERT INTO", "services", 2),
        ("INSERT INTO", "assets", 1),
        ("UPDATE", "assets", 1),
    ):
        written = [rows for k, t, rows in statements if (k, t) == (kind, table)]
        assert len(written) >= 3, (kind, table)
        assert sum(written) == times * stored[table], (kind, table)
    assert stored["assets"] == 40
