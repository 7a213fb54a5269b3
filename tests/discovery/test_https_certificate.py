"""An HTTPS service's TLS session is described like any TLS port's: a self-signed certificate
or an obsolete TLS version on a DICOMweb/REST port raises the same finding as on a DICOM TLS
port (and a TLS 1.0-only device is reported, not taken for a closed port)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.discovery.lab.certs import self_signed
from tests.assessing import run_assessment
from tests.cli_runner import expect
from tests.discovery.helpers import by_port

PORT = 18443
SYSTEM = {"Name": "TlsArchive", "Version": "1.12.4", "DicomAet": "TLSPACS", "DicomPort": 4242}


class _OrthancOverTls(http.server.BaseHTTPRequestHandler):
    """Orthanc's /system over HTTPS, without credentials."""

    def do_GET(self) -> None:
        body = json.dumps(SYSTEM).encode() if self.path == "/system" else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _serve(address: str, tmp_path: Path, *, tls1_only: bool = False) -> Iterator[str]:
    cert, key = self_signed(tmp_path / "cert", "tls-archive.lab", address)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if tls1_only:  # an old device: TLS 1.0 and nothing newer
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    server = http.server.ThreadingHTTPServer((address, PORT), _OrthancOverTls)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield address
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def https_orthanc(net: Callable[[int], str], tmp_path: Path) -> Iterator[str]:
    yield from _serve(f"{net(47)}.10", tmp_path)


@pytest.fixture
def tls1_device(net: Callable[[int], str], tmp_path: Path) -> Iterator[str]:
    yield from _serve(f"{net(47)}.11", tmp_path, tls1_only=True)


def _scope(path: Path, host: str) -> Path:
    now = dt.datetime.now(dt.UTC)
    path.write_text(
        yaml.safe_dump(
            {
                "authorised_by": "https certificate test",
                "window": {
                    "start": (now - dt.timedelta(hours=1)).isoformat(),
                    "end": (now + dt.timedelta(hours=1)).isoformat(),
                },
                "hosts": [host],
                "ports": {"dicom": [], "dicom_tls": [], "http": [], "https": [PORT], "hl7": []},
                "rate": {"global_per_second": 500, "per_host_per_second": 100,
                         "connect_timeout": 1, "read_timeout": 1},
            }
        )
    )  # fmt: skip
    return path


def test_a_self_signed_certificate_on_an_https_port_raises_a_finding(
    tmp_path: Path, https_orthanc: str, catalog: Catalog
) -> None:
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", https_orthanc)
    expect(0, "discover", "--scope", scope, db=db)
    facts = by_port(f"sqlite:///{db}", PORT)
    assert facts["service.tls"] is True
    assert facts["tls.cert_self_signed"] is True
    assert facts["tls.cert_subject"] == "tls-archive.lab"
    assert str(facts["tls.version"]).startswith("TLSv1.")
    assert facts["rest.dicom_ae_title"] == "TLSPACS"  # the REST answer still read over TLS
    with open_store(f"sqlite:///{db}") as store:
        findings = run_assessment(store, catalog).findings
    raised = {f.check_id for f in findings if f.subject_id.endswith(f"/{PORT}")}
    assert "urn:imagewarden:check:tls-certificate-self-signed" in raised
    assert "urn:imagewarden:check:tls-certificate-expired" not in raised


def test_an_https_port_offering_only_tls_1_0_is_reported_as_legacy(
    tmp_path: Path, tls1_device: str, catalog: Catalog
) -> None:
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    ran = expect(0, "discover", "--scope", _scope(tmp_path / "scope.yaml", tls1_device), db=db)
    assert f"{tls1_device}:{PORT}" in ran.stdout  # found, not taken for a closed port
    facts = by_port(f"sqlite:///{db}", PORT)
    assert facts["tls.version"] == "TLSv1" and facts["tls.legacy_version"] is True
    with open_store(f"sqlite:///{db}") as store:
        findings = run_assessment(store, catalog).findings
    raised = {f.check_id for f in findings if f.subject_id.endswith(f"/{PORT}")}
    assert "urn:imagewarden:check:tls-legacy-protocol" in raised
