"""What actually goes on the wire: only association, C-ECHO, C-FIND, C-CANCEL and release.

A recording proxy sits in front of a real pynetdicom SCP that accepts storage and query;
the standard profile with every opt-in runs through it, and each PDU the probe
sent is decoded. The same check fails if a single C-STORE, C-MOVE, C-GET or N-SET byte
sequence is ever sent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from imagewarden.app import open_store
from imagewarden.discovery import pdu
from imagewarden.discovery.interface import Profile
from imagewarden.discovery.lab.personas import Persona
from imagewarden.discovery.lab.server import Lab
from imagewarden.model import ServiceProtocol
from tests.discovery.conftest import discover, make_scope
from tests.discovery.peers import Listener, RecordingProxy, record_bytes

ALLOWED_COMMANDS = {0x0030: "C-ECHO-RQ", 0x0020: "C-FIND-RQ", 0x0FFF: "C-CANCEL-RQ"}


def _pdus(stream: bytes) -> list[tuple[int, bytes]]:
    pdus, offset = [], 0
    while offset + 6 <= len(stream):
        kind, _, length = struct.unpack_from(">BBI", stream, offset)
        pdus.append((kind, stream[offset + 6 : offset + 6 + length]))
        offset += 6 + length
    assert offset == len(stream), "trailing bytes that are not a whole PDU"
    return pdus


@pytest.mark.integration
def test_standard_profile_sends_no_dimse_write(net: Callable[[int], str]) -> None:
    # An archive that accepts storage and query: a C-STORE would be accepted if sent.
    scp = Persona("audit", f"{net(7)}.11", 11112, "AUDIT", check_called_ae=False)
    proxy_host = f"{net(7)}.12"
    scope = make_scope(hosts=[proxy_host])
    with Lab((scp,)), RecordingProxy(proxy_host, 11112, (scp.address, scp.port)) as proxy:
        results = discover(scope, Profile.STANDARD, allow_query=True, allow_credential_checks=True)
    assert results[0].facts["dicom.anonymous_query"] is True  # the query really ran
    commands: list[str] = []
    for stream in proxy.sent:
        for kind, body in _pdus(stream):
            assert kind in (pdu.ASSOCIATE_RQ, pdu.P_DATA, pdu.RELEASE_RQ, pdu.ABORT), kind
            if kind != pdu.P_DATA:
                continue
            for value in pdu.decode(kind, body).values:  # type: ignore[union-attr]
                if value.is_command:
                    field, _ = pdu.command_status(value.data)
                    assert field in ALLOWED_COMMANDS, hex(field or 0)
                    commands.append(ALLOWED_COMMANDS[field])
    assert sorted(set(commands)) == ["C-ECHO-RQ", "C-FIND-RQ"]
    assert len(proxy.sent) == 3  # three associations, one after the other


def test_hl7_listener_never_receives_a_message(net: Callable[[int], str]) -> None:
    host = f"{net(7)}.30"
    received: list[bytes] = []
    scope = make_scope(
        hosts=[host], ports={"dicom": [], "dicom_tls": [], "http": [], "hl7": [2575]}
    )
    with Listener(host, 2575, record_bytes(received)):
        result = discover(scope)[0]
    assert result.protocol is ServiceProtocol.HL7
    assert result.facts["service.tls"] is False
    assert received[0] == b""  # the detection connection sends nothing at all
    assert all(b"MSH|" not in data and b"\x0b" not in data[:1] for data in received)


@pytest.mark.integration
def test_ctrl_c_stops_cleanly_and_writes_nothing(tmp_path: Path, net: Callable[[int], str]) -> None:
    host = f"{net(7)}.40"
    now = time.time()
    scope = tmp_path / "scope.yaml"
    scope.write_text(
        yaml.safe_dump(
            {
                "authorised_by": "test",
                "window": {
                    "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600)),
                    "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600)),
                },
                "hosts": [host],
                "ports": {"dicom": [11112], "dicom_tls": [], "http": [], "hl7": []},
                "rate": {"read_timeout": 20, "connect_timeout": 2},
            }
        )
    )
    db = str(tmp_path / "t.db")
    exe = str(Path(sys.executable).parent / "imagewarden")
    subprocess.run([exe, "--db", db, "init"], check=True, capture_output=True)
    requested = threading.Event()

    def silent_after_the_request(conn: socket.socket) -> None:
        conn.settimeout(30)
        with contextlib.suppress(OSError):
            if conn.recv(6):  # the A-ASSOCIATE-RQ's PDU header: the request was sent
                requested.set()
            while conn.recv(4096):  # read it all, never answer, until the client closes
                pass

    with Listener(host, 11112, silent_after_the_request) as listener:
        proc = subprocess.Popen(
            [exe, "--db", db, "discover", "--scope", str(scope)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # stopped while it waits for the answer (a stop before the request was sent is
        # logged the same way, without it: see test_scope_guard)
        assert requested.wait(timeout=30)
        assert listener.connections == 1
        os.kill(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert b"Traceback" not in stderr
    with open_store(db) as store:
        assert store.assets() == []
    # The connection the interrupted run made is in the connection log all the same.
    log = Path(db + ".connections.log")
    [line] = log.read_text().splitlines()
    assert f"{host}:11112 dicom sent=A-ASSOCIATE-RQ(IMAGEWARDEN->ANY-SCP)" in line
    assert line.endswith("outcome=interrupted (discovery stopped)")
    assert log.stat().st_mode & 0o777 == 0o600
