"""HTTP vs HTTPS and REST identification against small local web servers."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from imagewarden.discovery.lab.certs import self_signed
from imagewarden.model import ServiceProtocol
from tests.discovery.conftest import discover, make_scope

SYSTEM = {"DicomAet": "ORTHANC", "Version": "1.12.4", "Name": "Test"}


class _Handler(http.server.BaseHTTPRequestHandler):
    methods: list[str] = []  # noqa: RUF012 - shared record of what the probe sent

    def do_GET(self) -> None:
        _Handler.methods.append(f"GET {self.path}")
        if self.path == "/system":
            body = json.dumps(SYSTEM).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path, net: Callable[[int], str]) -> Iterator[str]:
    host = f"{net(8)}.5"
    cert, key = self_signed(tmp_path, "web.test.invalid", host)
    server = http.server.ThreadingHTTPServer((host, 8443), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.methods.clear()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()


def test_https_rest_api_is_identified_over_tls_with_get_only(https_server: str) -> None:
    scope = make_scope(
        hosts=[https_server],
        ports={"dicom": [], "dicom_tls": [], "http": [], "https": [8443], "hl7": []},
    )
    result = discover(scope)[0]
    assert result.protocol is ServiceProtocol.DICOMWEB
    assert result.facts["service.tls"] is True
    assert result.facts["service.auth_required"] is False
    assert result.facts["service.product_version"] == "1.12.4"
    assert result.facts["service.product_outdated"] is False
    assert _Handler.methods == ["GET /system"]  # safe profile: one read-only request


class _FloodHandler(http.server.BaseHTTPRequestHandler):
    """Answers /system with an endless JSON-looking body."""

    sent: list[int] = []  # noqa: RUF012 - bytes written before the prober hung up

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        written = 0
        chunk = b'{"DicomAet": "' + b"A" * 65_536
        try:
            for _ in range(1_000):  # bounded: at most ~64 MB
                self.wfile.write(chunk)
                written += len(chunk)
        except OSError:
            pass
        _FloodHandler.sent.append(written)

    def log_message(self, *_args: object) -> None:
        pass


def test_an_endless_body_is_cut_off_and_not_trusted(net: Callable[[int], str]) -> None:
    host = f"{net(8)}.6"
    server = http.server.ThreadingHTTPServer((host, 8080), _FloodHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scope = make_scope(
            hosts=[host],
            ports={"dicom": [], "dicom_tls": [], "http": [8080], "https": [], "hl7": []},
        )
        result = discover(scope)[0]
    finally:
        server.shutdown()
        server.server_close()
    assert result.open
    assert "service.product" not in result.facts  # an unreadable body identifies nothing
    # The prober stopped reading long before the server's 64 MB were written.
    assert _FloodHandler.sent and _FloodHandler.sent[0] < 16 * 1024 * 1024
