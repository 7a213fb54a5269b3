"""The connection log: one line per connection to a device, beside the database, owner-only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from imagewarden.discovery import api
from imagewarden.discovery.lab.personas import Persona
from imagewarden.discovery.lab.server import Lab
from tests.cli_runner import expect
from tests.discovery.peers import Listener, http_reply

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (?P<endpoint>\S+) (?P<kind>\S+) "
    r"sent=(?P<sent>\S+) outcome=(?P<outcome>.+)$"
)


def _scope(path: Path, hosts: list[str], **ports: list[int]) -> Path:
    now = dt.datetime.now(dt.UTC)
    path.write_text(
        yaml.safe_dump(
            {
                "authorised_by": "connection log test",
                "window": {
                    "start": (now - dt.timedelta(hours=1)).isoformat(),
                    "end": (now + dt.timedelta(hours=1)).isoformat(),
                },
                "hosts": hosts,
                "ports": {"dicom": [], "dicom_tls": [], "http": [], "https": [], "hl7": [],
                          **ports},
                "dicom": {"calling_ae": "IWSCANNER", "called_ae": "ANY-SCP"},
                "rate": {"global_per_second": 500, "per_host_per_second": 100,
                         "connect_timeout": 1, "read_timeout": 1},
            }
        )
    )  # fmt: skip
    return path


@pytest.mark.integration
def test_every_connection_is_one_line_beside_the_sqlite_database(
    tmp_path: Path, net: Callable[[int], str]
) -> None:
    scp = Persona("open", f"{net(12)}.10", 11112, "OPEN", check_called_ae=False)
    closed = f"{net(12)}.11"  # nothing listens: the attempt still reached the host
    db = tmp_path / "site.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", [scp.address, closed], dicom=[11112])
    with Lab((scp,)):
        expect(0, "discover", "--scope", scope, "--profile", "standard", "--allow-query", db=db)
        expect(0, "discover", "--scope", scope, "--profile", "ping", db=db)
    log = tmp_path / "site.db.connections.log"
    assert log.stat().st_mode & 0o777 == 0o600
    lines = [LINE.match(line) for line in log.read_text().splitlines()]
    assert all(lines), log.read_text()
    by_host: dict[str, list[re.Match[str]]] = {}
    for match in lines:
        assert match is not None
        by_host.setdefault(match["endpoint"], []).append(match)
    opened = by_host[f"{scp.address}:11112"]
    # standard: three associations (configured, random called, random calling with C-FIND);
    # then ping: one; the second run appended to the same log.
    assert [m["sent"] for m in opened] == [
        "A-ASSOCIATE-RQ(IWSCANNER->ANY-SCP),C-ECHO-RQ,A-RELEASE-RQ",
        "A-ASSOCIATE-RQ(IWSCANNER->random),A-RELEASE-RQ",
        "A-ASSOCIATE-RQ(random->ANY-SCP),C-FIND-RQ,identifier,A-RELEASE-RQ",
        "A-ASSOCIATE-RQ(IWSCANNER->ANY-SCP),A-RELEASE-RQ",
    ]
    assert {m["outcome"] for m in opened} == {"accepted, released"}
    assert [m["outcome"] for m in by_host[f"{closed}:11112"]] == ["refused", "refused"]
    # The made-up AE titles of the random associations never appear (only configured ones).
    assert "IWC" not in log.read_text() and "IWD" not in log.read_text()


def test_http_requests_are_logged_without_headers(
    tmp_path: Path, net: Callable[[int], str]
) -> None:
    host = f"{net(12)}.20"
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", [host], http=[8042])
    explicit = tmp_path / "audit" / "connections.txt"
    explicit.parent.mkdir()
    with Listener(host, 8042, http_reply):
        expect(0, "discover", "--scope", scope, "--connection-log", explicit, db=db)
    [line] = explicit.read_text().splitlines()
    match = LINE.match(line)
    assert match is not None
    assert match["endpoint"] == f"{host}:8042" and match["kind"] == "http"
    assert match["sent"] == "GET(/system)" and match["outcome"] == "HTTP 400"
    assert not (tmp_path / "t.db.connections.log").exists()


def test_a_log_that_cannot_be_written_stops_discovery_before_anything_is_sent(
    tmp_path: Path, net: Callable[[int], str]
) -> None:
    host = f"{net(12)}.30"
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", [host], http=[8042])
    with Listener(host, 8042, http_reply) as listener:
        ran = expect(
            2, "discover", "--scope", scope, "--connection-log", tmp_path / "no" / "log", db=db
        )
    assert listener.connections == 0
    assert "does not exist" in ran.stderr


def test_other_databases_log_to_the_current_folder_unless_told(tmp_path: Path) -> None:
    assert api.connection_log_path("postgresql+psycopg://db.example/iw") == Path(
        "imagewarden.connections.log"
    )
    assert api.connection_log_path(f"sqlite:///{tmp_path / 'x.db'}") == tmp_path / (
        "x.db.connections.log"
    )
    chosen = tmp_path / "mine.log"
    assert api.connection_log_path("postgresql+psycopg://db.example/iw", chosen) == chosen


@pytest.mark.integration
def test_on_postgresql_the_log_is_written_in_the_current_folder(
    tmp_path: Path,
    net: Callable[[int], str],
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = f"{net(12)}.40"
    expect(0, "init", db=postgres_url)
    scope = _scope(tmp_path / "scope.yaml", [host], http=[8042])
    monkeypatch.chdir(tmp_path)
    with Listener(host, 8042, http_reply):
        expect(0, "discover", "--scope", scope, db=postgres_url)
    log = tmp_path / "imagewarden.connections.log"
    assert log.stat().st_mode & 0o777 == 0o600
    assert len(log.read_text().splitlines()) == 1
