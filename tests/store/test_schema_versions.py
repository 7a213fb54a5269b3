"""Only init and db upgrade migrate: any other command refuses an older schema unchanged."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from alembic import command

from imagewarden.app import open_store, schema
from imagewarden.store.schema_versions import current_revisions
from tests.cli_runner import expect
from tests.factories import asset, inventory


def _one_revision_behind(db: Path) -> None:
    with open_store(str(db), create=True) as store:
        store.save_inventory(inventory(asset("CT-1")))
        config = schema().config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "core@-1")


def _dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_a_database_one_revision_behind_is_refused_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _one_revision_behind(db)
    before = _dump(db)
    for args in (("report", "-o", str(tmp_path / "r.html")), ("findings", "list"), ("assess",)):
        ran = expect(2, *args, db=db)
        assert "older than this program" in ran.stderr and "db upgrade" in ran.stderr
    assert _dump(db) == before
    assert not (tmp_path / "r.html").exists()


def test_db_upgrade_migrates_after_copying_the_file_aside(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _one_revision_behind(db)
    assert expect(0, "db", "status", db=db).stdout.strip() == "behind"
    ran = expect(0, "db", "upgrade", db=db)
    backup = Path(ran.stdout.strip().splitlines()[0])
    assert backup.parent == tmp_path and backup.name.startswith("old.db.pre-upgrade-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT count(*) FROM assets").fetchone() == (1,)
    with open_store(str(db)) as store:
        assert current_revisions(store.engine) == schema().heads()
        assert [a.id for a in store.assets()] == ["CT-1"]
    again = expect(0, "db", "upgrade", db=db)
    assert "already at the current schema" in again.stderr
    expect(0, "findings", "list", db=db)


def test_init_creates_an_owner_only_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    expect(0, "init", db=db)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
