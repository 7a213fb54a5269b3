"""Every database and disk failure ends in one clear line and the right exit code.

2 for what the user can fix (not a database, another schema, a driver not installed, a
missing path), 3 for the machine (locked, full, read-only, corrupt), 4 for a bug. Never a
traceback, never SQL or row contents, and nothing left behind by a refused command.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.app import open_store
from tests.cli_runner import expect
from tests.factories import asset, inventory

CANARY = "Canary-Pass-7f3e"


def _imagewarden(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imagewarden", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def _clean(ran: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in ran.stderr, ran.stderr
    assert "SELECT" not in ran.stderr and "INSERT" not in ran.stderr, ran.stderr
    lines = [line for line in ran.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, ran.stderr
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "iw.db"
    with open_store(str(path), create=True) as store:
        store.save_inventory(inventory(asset("CT-1"), asset("MR-1")))
    return path


def test_a_command_before_init_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    ran = expect(2, "findings", "list", db=path)
    assert "no database at" in ran.stderr and "imagewarden init" in ran.stderr
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are meeting notes, not a database\n" * 200, encoding="utf-8")
    ran = _imagewarden("--db", path, "findings", "list")
    assert ran.returncode == 2
    assert "not an ImageWarden database" in _clean(ran)
    assert path.read_text(encoding="utf-8").startswith("these are meeting notes")


def test_a_corrupt_database_is_an_infrastructure_error(db: Path) -> None:
    data = bytearray(db.read_bytes())
    for start in range(4096, len(data) - 64, 4096):  # every page but the header
        data[start : start + 64] = b"\xa5" * 64
    db.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    ran = _imagewarden("--db", db, "assess")
    assert ran.returncode in (2, 3), ran.stderr
    line = _clean(ran)
    assert "corrupt" in line or "not an ImageWarden database" in line


def test_a_database_from_a_newer_version_is_refused_unchanged(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO alembic_version VALUES ('z9999')")
    before = _dump(db)
    ran = _imagewarden("--db", db, "findings", "list")
    assert ran.returncode == 2
    assert "another version of ImageWarden" in _clean(ran)
    assert _dump(db) == before


def _dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_a_driver_that_is_not_installed() -> None:
    ran = _imagewarden("--db", f"mysql+nosuchdriver://u:{CANARY}@127.0.0.1/x", "findings", "list")
    assert ran.returncode == 2
    line = _clean(ran)
    assert "driver" in line and CANARY not in ran.stderr + ran.stdout


def test_an_unreachable_server_is_exit_3_and_hides_the_password() -> None:
    url = f"postgresql+psycopg://nobody:{CANARY}@127.0.0.1:9/none"
    ran = _imagewarden("--db", url, "findings", "list")
    assert ran.returncode == 3
    assert "refused the connection" in _clean(ran)
    assert CANARY not in ran.stderr + ran.stdout


def test_init_shows_the_url_without_its_password(postgres_url: str) -> None:
    # The trust-authenticated server ignores the password; it must still never be printed.
    url = postgres_url.replace("postgres@", f"postgres:{CANARY}@", 1)
    ran = _imagewarden("--db", url, "init")
    assert ran.returncode == 0, ran.stderr
    assert CANARY not in ran.stdout + ran.stderr
    assert "***" in ran.stdout


def test_a_locked_database_is_exit_3_after_the_wait(db: Path) -> None:
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        ran = _imagewarden("--db", db, "assess", env={"IMAGEWARDEN_DB_BUSY_TIMEOUT": "0.5"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert ran.returncode == 3
    assert "locked" in _clean(ran)


def _in_private_mount(script: str) -> subprocess.CompletedProcess[str]:
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10)
    if probe.returncode != 0:
        pytest.fail("this test needs 'unshare -m' (root, as in CI)")
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PY": sys.executable},
        check=False,
    )


@pytest.mark.integration
def test_a_read_only_database_is_exit_3_for_a_write(db: Path) -> None:
    folder = db.parent
    ran = _in_private_mount(
        f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '
        f'"$PY" -m imagewarden --db "{db}" assess'
    )
    assert ran.returncode == 3, ran.stderr
    assert "read-only" in ran.stderr and "Traceback" not in ran.stderr


@pytest.mark.integration
def test_a_full_disk_is_exit_3_and_the_database_stays_usable(tmp_path: Path) -> None:
    folder = tmp_path / "small"
    folder.mkdir()
    big = tmp_path / "big.csv"
    header = "id,site,name,type,vendor,model,os,os_version,network_zone,criticality\n"
    rows = "".join(
        f"CT-{i},North Hospital,CT {i} {'x' * 150},CT,GE HealthCare,Revolution CT,"
        "Windows 10,22H2,imaging,high\n"
        for i in range(20_000)
    )
    big.write_text(header + rows, encoding="utf-8")
    ran = _in_private_mount(
        f'mount -t tmpfs -o size=600k tmpfs "{folder}" && '
        f'"$PY" -m imagewarden --db "{folder}/iw.db" init && '
        f'"$PY" -m imagewarden --db "{folder}/iw.db" import inventory "{big}"; '
        f'echo "import exit $?"; "$PY" -m imagewarden --db "{folder}/iw.db" findings list; '
        'echo "list exit $?"'
    )
    assert "import exit 3" in ran.stdout, ran.stdout + ran.stderr
    assert "full" in ran.stderr and "Traceback" not in ran.stderr
    assert "list exit 0" in ran.stdout, ran.stdout + ran.stderr
