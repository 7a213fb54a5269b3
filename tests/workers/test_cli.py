"""The command line of the centre's jobs and the sites' keys (no broker needed here)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from imagewarden.app import open_store
from tests.cli_runner import expect
from tests.factories import asset, inventory


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "centre.db"
    with open_store(str(db), create=True) as store:
        store.save_inventory(inventory(asset("PACS-N", "north")))
    return db


def test_keys_generate_register_and_list(tmp_path: Path) -> None:
    db = _db(tmp_path)
    made = expect(0, "keys", "generate", "--site", "north", "--out", tmp_path)
    private, public = (Path(line) for line in made.stdout.split())
    assert private.name == "north.key" and public.name == "north.pub"
    refused = expect(2, "keys", "register", "--site", "north", private, db=db)
    assert "centre keeps only public keys" in refused.stderr
    expect(0, "keys", "register", "--site", "north", public, db=db)
    listed = json.loads(expect(0, "keys", "list", "--json", db=db).stdout)
    assert [k["site"] for k in listed] == ["north"]
    again = expect(2, "keys", "generate", "--site", "north", "--out", tmp_path)
    assert "never overwritten" in again.stderr


def test_submit_with_an_unreachable_broker_exits_3_and_leaves_the_job_failed(
    tmp_path: Path,
) -> None:
    db = _db(tmp_path)
    made = expect(0, "keys", "generate", "--site", "north", "--out", tmp_path)
    expect(0, "keys", "register", "--site", "north", made.stdout.split()[1], db=db)
    url = f"amqp://nobody:secret-pw@127.0.0.1:{_closed_port()}//"
    ran = expect(3, "jobs", "submit", "discover", "--site", "north", "--broker", url, db=db)
    assert "secret-pw" not in ran.stderr and "refused or failed" in ran.stderr
    [job] = json.loads(expect(0, "jobs", "list", "--format", "json", db=db).stdout)
    assert job["state"] == "failed" and "could not be queued" in job["error"]


def test_submit_refuses_a_site_without_a_key_before_touching_the_broker(tmp_path: Path) -> None:
    ran = expect(2, "jobs", "submit", "discover", "--site", "north", db=_db(tmp_path))
    assert "no signing key is registered for site north" in ran.stderr


def test_submit_refuses_options_of_another_kind(tmp_path: Path) -> None:
    db = _db(tmp_path)
    ran = expect(2, "jobs", "submit", "discover", "--site", "north", "--root", "/a", db=db)
    assert "root" in ran.stderr


def test_permissions_print_one_queue_per_site_user(tmp_path: Path) -> None:
    ran = expect(0, "jobs", "permissions", "--site", "north", "--site", "south")
    lines = ran.stdout.splitlines()
    assert "imagewarden-site-north '^site\\.north$' '^(site\\.north|centre)$'" in lines[2]
    assert lines[3].endswith("'^site\\.south$'")
    expect(2, "jobs", "permissions", "--site", "North!")


def test_worker_refuses_a_scope_of_another_site_before_connecting(tmp_path: Path) -> None:
    from tests.workers.test_site import scope_file

    made = expect(0, "keys", "generate", "--site", "north", "--out", tmp_path)
    ran = expect(
        2, "worker", "--site", "north", "--scope", scope_file(tmp_path),
        "--key", made.stdout.split()[0], "--broker", f"amqp://127.0.0.1:{_closed_port()}//",
    )  # fmt: skip
    assert "the scope file is for site 'lab', not 'north'" in ran.stderr


def test_jobs_list_and_show(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert json.loads(expect(0, "jobs", "list", "--format", "json", db=db).stdout) == []
    expect(0, "jobs", "list", db=db)
    expect(2, "jobs", "show", "0" * 32, db=db)
    expect(0, "jobs", "expire", db=db)
