"""Excluded hosts are never dialled, whatever the spelling, and the socket itself is guarded.

Real listeners on loopback addresses count every accepted connection. A scope includes a
listener's address in one spelling and excludes it in another (IPv4-mapped ``::ffff:`` versus
plain IPv4); discovery runs through the real scheduler and the real CLI, and the excluded
listener must accept nothing. The socket-level guard is also driven directly, past the scope's
target list, including a connection whose peer is not the address that was dialled.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http.server
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from imagewarden.cli.app import app
from imagewarden.discovery import scheduler
from imagewarden.discovery.interface import Profile, Target, TargetKind
from imagewarden.discovery.scheduler import ScopedContext, run_discovery
from tests.discovery.conftest import discover, make_scope
from tests.discovery.peers import Listener, record_bytes

PORTS = {"dicom": [11112], "dicom_tls": [2762], "http": [8042], "https": [], "hl7": [2575]}
runner = CliRunner()


class _Host:
    """Listeners on every probed port of one loopback address."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.listeners = [Listener(address, p) for ports in PORTS.values() for p in ports]

    @property
    def connections(self) -> int:
        return sum(listener.connections for listener in self.listeners)

    def __enter__(self) -> _Host:
        for listener in self.listeners:
            listener.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)  # a connection still in the accept queue is counted before closing
        for listener in self.listeners:
            listener.__exit__(*exc)


def _mapped(address: str) -> str:
    return f"::ffff:{address}"


SPELLINGS: list[tuple[Callable[[str], str], Callable[[str], str]]] = [
    (_mapped, str),  # include mapped, exclude plain
    (str, _mapped),  # include plain, exclude mapped
    (lambda a: _mapped(a).upper(), lambda a: f" {a} "),
    (str, lambda a: f"0:0:0:0:0:ffff:{a}/128"),
]


@pytest.mark.parametrize("spelling", range(len(SPELLINGS)))
def test_scheduler_never_connects_to_an_excluded_listener(
    spelling: int, net: Callable[[int], str]
) -> None:
    include, exclude = SPELLINGS[spelling]
    first = 10 + 2 * spelling  # each case on its own pair of addresses
    with _Host(f"{net(9)}.{first}") as excluded, _Host(f"{net(9)}.{first + 1}") as allowed:
        scope = make_scope(
            hosts=[include(excluded.address), include(allowed.address)],
            exclude=[exclude(excluded.address)],
            ports=PORTS,
        )
        results = discover(scope, Profile.SAFE)
    assert excluded.connections == 0
    assert allowed.connections > 0  # the scan did run, next door
    assert {r.target.host for r in results} == {allowed.address}


@pytest.mark.parametrize(
    ("networks", "exclude", "target"),
    [
        (["::ffff:{net}.16/124"], ["{net}.20"], "::ffff:{net}.20"),
        (["::ffff:{net}.16/124"], ["{net}.20"], "[::ffff:{net}.20]:11112"),
        (["{net}.16/28"], ["::ffff:{net}.20"], "{net}.20:11112"),
        (["{net}.16/28"], ["::ffff:{net}.20/127"], "{net}.21"),
        (["{net}.16/28"], ["::ffff:0:0/95"], "{net}.20"),
    ],
)
def test_cli_target_option_never_reaches_an_excluded_listener(
    tmp_path: Path, net: Callable[[int], str], networks: list[str], exclude: list[str], target: str
) -> None:
    prefix = net(9)
    now = dt.datetime.now(dt.UTC)
    scope = tmp_path / "scope.yaml"
    data = {
        "authorised_by": "test suite",
        "window": {
            "start": (now - dt.timedelta(hours=1)).isoformat(),
            "end": (now + dt.timedelta(hours=1)).isoformat(),
        },
        "networks": [n.format(net=prefix) for n in networks],
        "exclude": [e.format(net=prefix) for e in exclude],
        "ports": {"dicom": [11112], "dicom_tls": [], "http": [], "https": [], "hl7": []},
        "rate": {"connect_timeout": 1, "read_timeout": 1},
    }
    scope.write_text(yaml.safe_dump(data))
    db = str(tmp_path / "t.db")
    assert runner.invoke(app, ["--db", db, "init"]).exit_code == 0
    with Listener(f"{prefix}.20", 11112) as first, Listener(f"{prefix}.21", 11112) as second:
        result = runner.invoke(
            app,
            ["--db", db, "discover", "--scope", str(scope), "--target", target.format(net=prefix)],
        )
        time.sleep(0.2)
    assert first.connections == 0 and second.connections == 0
    assert result.exit_code == 2, result.output
    assert "target refused" in result.output


def _context(**overrides: Any) -> ScopedContext:
    scope = make_scope(**overrides)
    return ScopedContext(scope, scope.options())


def test_socket_guard_refuses_a_target_handed_directly_to_connect(
    net: Callable[[int], str], caplog: pytest.LogCaptureFixture
) -> None:
    address = f"{net(9)}.40"
    ctx = _context(hosts=[f"::ffff:{net(9)}.40/126"], exclude=[address])

    async def attempt(host: str) -> None:
        await ctx.connect(Target(host, 11112, TargetKind.DICOM))

    with Listener(address, 11112) as listener:
        for host in (address, f"::ffff:{address}", f"::FFFF:{address}", f"{net(9)}.99"):
            with pytest.raises(PermissionError), caplog.at_level(logging.WARNING):
                asyncio.run(attempt(host))
        time.sleep(0.2)
    assert listener.connections == 0
    refused = [r for r in caplog.records if "refused connection" in r.getMessage()]
    assert len(refused) == 4


def test_a_connection_stopped_while_it_is_made_is_logged_as_interrupted(
    net: Callable[[int], str],
) -> None:
    """Stopped during the TLS handshake, before the connection is ready: the log keeps what
    was sent and says the run stopped it, as for a connection stopped after it was made
    (it once said "failed (CancelledError)")."""
    address = f"{net(11)}.40"
    ctx = _context(hosts=[address], ports={**PORTS, "dicom_tls": [2762]})
    target = Target(address, 2762, TargetKind.DICOM_TLS)
    hello = threading.Event()

    def silent_after_hello(conn: socket.socket) -> None:
        conn.settimeout(10)
        with contextlib.suppress(OSError):
            if conn.recv(5):  # a TLS record header: the ClientHello is on its way
                hello.set()
            while conn.recv(4096):  # read it all, never answer, until the client closes
                pass

    async def stop_during_handshake() -> None:
        attempt = asyncio.create_task(ctx.connect(target, tls=True))
        for _ in range(1000):  # at most 10 s
            if hello.is_set() or attempt.done():
                break
            await asyncio.sleep(0.01)
        assert hello.is_set() and not attempt.done()
        attempt.cancel()
        with pytest.raises(asyncio.CancelledError):
            await attempt

    with Listener(address, 2762, silent_after_hello):
        asyncio.run(stop_during_handshake())
    [record] = ctx.finish(target, cut_short=scheduler.INTERRUPTED)
    assert record.sent == ("TLS-ClientHello",)
    assert record.outcome == "interrupted (discovery stopped)"


def test_a_connection_open_when_the_probe_runs_out_of_time_is_logged_so(
    net: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A peer that takes the association request and never answers, and a probe whose time
    budget ends before its read timeout: the log says how the connection ended (it once
    said "connected")."""
    address = f"{net(12)}.40"
    monkeypatch.setattr(scheduler, "target_budget", lambda _options: 0.3)
    rate = {"global_per_second": 500, "per_host_per_second": 100, "read_timeout": 5}
    scope = make_scope(hosts=[address], rate={**rate, "connect_timeout": 1})

    def never_answers(conn: socket.socket) -> None:
        conn.settimeout(10)
        with contextlib.suppress(OSError):
            while conn.recv(4096):  # read it all, never answer, until the client closes
                pass

    records: list[Any] = []
    with Listener(address, 11112, never_answers):
        [result] = run_discovery(
            scope, scope.targets(), scope.options(), on_connection=records.append
        )
    assert result.outcome == "probe time budget exhausted"
    [record] = records
    assert record.sent == ("A-ASSOCIATE-RQ(IMAGEWARDEN->ANY-SCP)",)
    assert record.outcome == "probe time budget exhausted"


def test_targets_handed_past_the_scope_are_recorded_as_not_contacted(
    net: Callable[[int], str],
) -> None:
    """Every probe kind lets a scope refusal through; none mistakes it for a closed port."""
    address = f"{net(9)}.56"
    scope = make_scope(hosts=[f"{net(9)}.56/30"], exclude=[address], ports=PORTS)
    kinds = {
        TargetKind.DICOM: 11112,
        TargetKind.DICOM_TLS: 2762,
        TargetKind.HTTP: 8042,
        TargetKind.HL7: 2575,
    }
    targets = [
        Target(host, port, kind)
        for host in (address, f"::ffff:{address}", f"0:0:0:0:0:FFFF:{address}")
        for kind, port in kinds.items()
    ]
    with _Host(address) as excluded:
        results = run_discovery(scope, targets, scope.options(Profile.STANDARD))
    assert excluded.connections == 0
    assert len(results) == len(targets)
    assert all(not r.open and r.notes[0].startswith("not contacted") for r in results), results


def test_socket_guard_refuses_hostnames_and_zone_ids(net: Callable[[int], str]) -> None:
    from imagewarden.discovery.guard import assert_dialable

    scope = make_scope(hosts=[f"{net(9)}.44/30", "::1"])
    for host in ("localhost", f"{net(9)}.45.nip.example", "::1%lo", "[::1]", ""):
        with pytest.raises(PermissionError):
            assert_dialable(host, scope)
    assert assert_dialable(f" ::ffff:{net(9)}.45 ", scope) == f"{net(9)}.45"
    assert assert_dialable("::1", scope) == "::1"


def test_connected_peer_that_is_not_the_dialled_address_is_dropped_unspoken(
    net: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever routes the connection elsewhere, the peer is checked before a byte is sent."""
    allowed, elsewhere = f"{net(9)}.48", f"{net(9)}.49"
    ctx = _context(hosts=[allowed])
    real_open = asyncio.open_connection

    async def misrouted(host: str, port: int, **kwargs: Any) -> Any:
        return await real_open(elsewhere, port, **kwargs)

    monkeypatch.setattr(scheduler.asyncio, "open_connection", misrouted)
    received: list[bytes] = []

    async def attempt(tls: bool) -> None:
        await ctx.connect(Target(allowed, 11112, TargetKind.DICOM), tls=tls)

    with Listener(elsewhere, 11112, record_bytes(received)):
        for tls in (False, True):
            with pytest.raises(PermissionError, match="peer"):
                asyncio.run(attempt(tls))
        deadline = time.monotonic() + 5
        while len(received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert received == [b"", b""]  # connected, then closed without a byte (no TLS hello)


def test_http_probe_dials_through_the_guard(net: Callable[[int], str]) -> None:
    from imagewarden.discovery.probes.http_transport import GuardedBackend

    address, outside = f"{net(9)}.52", f"{net(9)}.53"
    ctx = _context(hosts=[f"::ffff:{address}"])

    async def attempt(host: str) -> None:
        stream = await GuardedBackend(ctx).connect_tcp(host, 8042, timeout=1)
        await stream.aclose()

    with Listener(outside, 8042) as refused, Listener(address, 8042) as reached:
        with pytest.raises(PermissionError):
            asyncio.run(attempt(outside))
        with pytest.raises(PermissionError):
            asyncio.run(attempt("localhost"))
        asyncio.run(attempt(f"::ffff:{address}"))
        time.sleep(0.2)
    assert refused.connections == 0
    assert reached.connections == 1


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


class _Http6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def test_http_probe_reaches_an_allowed_ipv6_host_through_the_guard() -> None:
    server = _Http6(("::1", 0), _Ok)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ports = {"dicom": [], "dicom_tls": [], "http": [port], "https": [], "hl7": []}
        scope = make_scope(hosts=["0:0:0:0:0:0:0:1"], ports=ports)
        [result] = discover(scope)
    finally:
        server.shutdown()
        server.server_close()
    assert result.target.host == "::1"
    assert result.open and result.notes == ("GET /system -> 404",)


def test_cli_error_about_an_ipv6_target_with_a_port_is_printed_unmangled(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    scope = tmp_path / "scope.yaml"
    window = {"start": now.isoformat(), "end": (now + dt.timedelta(hours=1)).isoformat()}
    scope.write_text(yaml.safe_dump({"authorised_by": "test", "window": window, "hosts": ["::1"]}))
    result = runner.invoke(
        app, ["discover", "--scope", str(scope), "--target", "::ffff:10.0.0.1:104"]
    )
    assert result.exit_code == 2
    assert "write it as [address]:port" in result.output
