"""What a device answered, and what it advertises, is stored and shown: in the discover
summary and in the report's discovery table."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from imagewarden.app import open_store
from imagewarden.discovery.lab.personas import TLS_ONLY, relocated
from imagewarden.discovery.lab.server import Lab
from imagewarden.discovery.section import discovery_section
from tests.assessing import run_assessment
from tests.cli_runner import expect
from tests.discovery import peers
from tests.discovery.helpers import by_port
from tests.discovery.peers import Listener

SYSTEM = {"Name": "LabArchive", "Version": "1.12.4", "DicomAet": "FAKEPACS", "DicomPort": 4242}


class _FakeOrthanc(http.server.BaseHTTPRequestHandler):
    """Orthanc's REST identity and an open QIDO-RS, without credentials."""

    def do_GET(self) -> None:
        if self.path == "/system":
            body = json.dumps(SYSTEM).encode()
        elif self.path.startswith("/dicom-web/studies"):
            body = b'[{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]'
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def fake_orthanc(net: Callable[[int], str]) -> Iterator[str]:
    address = f"{net(14)}.10"
    server = http.server.ThreadingHTTPServer((address, 8042), _FakeOrthanc)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield address
    finally:
        server.shutdown()
        server.server_close()


def _scope(path: Path, hosts: list[str]) -> Path:
    now = dt.datetime.now(dt.UTC)
    path.write_text(
        yaml.safe_dump(
            {
                "authorised_by": "outcome test",
                "window": {
                    "start": (now - dt.timedelta(hours=1)).isoformat(),
                    "end": (now + dt.timedelta(hours=1)).isoformat(),
                },
                "hosts": hosts,
                "ports": {"dicom": [11112], "dicom_tls": [], "http": [8042], "https": [],
                          "hl7": []},
                "rate": {"global_per_second": 500, "per_host_per_second": 100,
                         "connect_timeout": 1, "read_timeout": 1},
            }
        )
    )  # fmt: skip
    return path


def test_outcomes_reasons_and_advertised_facts_are_stored_and_shown(
    tmp_path: Path, net: Callable[[int], str], fake_orthanc: str, catalog: object
) -> None:
    malformed, rejected, http_on_dicom = (f"{net(14)}.{n}" for n in (20, 21, 22))
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", [fake_orthanc, malformed, rejected, http_on_dicom])
    with ExitStack() as stack:
        for host, behaviour in (
            (malformed, peers.short_ac),
            (rejected, peers.reject_calling),
            (http_on_dicom, peers.http_reply),
        ):
            stack.enter_context(Listener(host, 11112, behaviour))
        ran = expect(
            0, "discover", "--scope", scope, "--profile", "standard", "--allow-query", db=db
        )
    lines = {line.split()[0]: line for line in ran.stdout.splitlines()}
    assert (
        "outcome=malformed (A-ASSOCIATE-AC body has 10 bytes, fewer than its 68 bytes of "
        "fixed fields)"
    ) in lines[f"{malformed}:11112"]
    assert "outcome=rejected (rejected-permanent by the service user: calling AE title not " \
        "recognised (result 1, source 1, reason 3))" in lines[f"{rejected}:11112"]  # fmt: skip
    assert lines[f"{http_on_dicom}:11112"].split()[1] == "http"
    assert "outcome=not-dicom (answered with HTTP)" in lines[f"{http_on_dicom}:11112"]
    web = lines[f"{fake_orthanc}:8042"]
    assert "anonymous-query=yes" in web  # DICOMweb's anonymous query, not only C-FIND's
    assert "product=Orthanc " in web and "Orthanc Orthanc" not in ran.stdout
    assert "dicom-ae=FAKEPACS" in web and "dicom-port=4242" in web

    url = f"sqlite:///{db}"
    rest = by_port(url, 8042)
    assert rest["rest.dicom_ae_title"] == "FAKEPACS" and rest["rest.dicom_port"] == 4242
    assert rest["service.product"] == "Orthanc"
    with open_store(url) as store:
        reasons = {
            o.subject_id: o.value
            for o in store.observations()
            if o.name == "dicom.association_reason"
        }
        section = discovery_section(store, store.assets())
    assert any("calling AE title not recognised" in str(v) for v in reasons.values())
    assert section is not None
    [table] = section.data["tables"]
    columns = table["columns"]
    rows = {row[columns.index("Address")]: dict(zip(columns, row, strict=True))
            for row in table["rows"]}  # fmt: skip
    assert rows[f"{malformed}:11112"]["Outcome"].startswith("malformed: A-ASSOCIATE-AC body")
    assert rows[f"{rejected}:11112"]["Outcome"].startswith(
        "rejected: rejected-permanent by the service user: calling AE title not recognised"
    )
    assert rows[f"{http_on_dicom}:11112"]["Protocol"] == "http"
    assert rows[f"{fake_orthanc}:8042"]["Outcome"] == "–"  # no association on a web port
    assert rows[f"{fake_orthanc}:8042"]["Anonymous query"] == "yes"
    assert rows[f"{fake_orthanc}:8042"]["Product"] == "Orthanc 1.12.4"

    # The discovered host is filed as vendor Orthanc, model Orthanc (what the product
    # dictionary and the vulnerability matcher know it by); no page says "Orthanc Orthanc".
    expect(0, "assess", db=db)
    expect(0, "report", "--output", tmp_path / "report.html", db=db)
    html = (tmp_path / "report.html").read_text()
    assert f"discovered-{fake_orthanc.replace('.', '-')}" in html
    assert "· Orthanc ·" in html and "Orthanc Orthanc" not in html


@pytest.mark.integration
def test_a_self_signed_certificate_raises_a_finding(
    tmp_path: Path, net: Callable[[int], str], catalog: object
) -> None:
    [persona] = relocated((TLS_ONLY,), net(14))
    scope = tmp_path / "scope.yaml"
    now = dt.datetime.now(dt.UTC)
    scope.write_text(
        yaml.safe_dump(
            {
                "authorised_by": "outcome test",
                "window": {
                    "start": (now - dt.timedelta(hours=1)).isoformat(),
                    "end": (now + dt.timedelta(hours=1)).isoformat(),
                },
                "hosts": [persona.address],
                "ports": {"dicom": [], "dicom_tls": [persona.port], "http": [], "https": [],
                          "hl7": []},
            }
        )
    )  # fmt: skip
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    with Lab((persona,)):
        expect(0, "discover", "--scope", scope, db=db)
    with open_store(f"sqlite:///{db}") as store:
        findings = run_assessment(store, catalog).findings  # type: ignore[arg-type]
    raised = {f.check_id for f in findings if f.subject_id.endswith(f"/{persona.port}")}
    assert "urn:imagewarden:check:tls-certificate-self-signed" in raised
