"""`--catalog DIR` reaches the probes (fingerprints, default logins); `--format json` says
what was learned per target."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from imagewarden.app import open_store
from imagewarden.catalog import default_catalog_dir
from imagewarden.discovery.lab.personas import Persona
from imagewarden.discovery.lab.server import Lab
from tests.cli_runner import expect
from tests.discovery.helpers import by_port

CREDENTIAL = ("acme-service", "acme-default-7731")


def _scope(path: Path, hosts: list[str], **ports: list[int]) -> Path:
    now = dt.datetime.now(dt.UTC)
    path.write_text(
        yaml.safe_dump(
            {
                "authorised_by": "catalog test",
                "window": {
                    "start": (now - dt.timedelta(hours=1)).isoformat(),
                    "end": (now + dt.timedelta(hours=1)).isoformat(),
                },
                "site": "lab",
                "hosts": hosts,
                "ports": {"dicom": [], "dicom_tls": [], "http": [], "https": [], "hl7": [],
                          **ports},
                "rate": {"global_per_second": 500, "per_host_per_second": 100,
                         "connect_timeout": 1, "read_timeout": 1},
            }
        )
    )  # fmt: skip
    return path


@pytest.fixture
def own_catalog(tmp_path: Path) -> Path:
    """A copy of the shipped catalog whose discovery data a site edited."""
    root = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), root)
    implementations = root / "discovery" / "implementations.yaml"
    text = implementations.read_text().replace(
        "vendor: pydicom project\n  product: pynetdicom", "vendor: Acme\n  product: Lab Scanner"
    )
    text += (
        "\n- id: acme-gateway\n  vendor: Acme\n  product: Acme Gateway\n"
        "  source: the site's own notes\n"
    )
    implementations.write_text(text)
    credentials = root / "discovery" / "default_credentials.yaml"
    credentials.write_text(
        credentials.read_text()
        + "\n- product: acme-gateway\n  realm: Acme Gateway\n  path: /system\n"
        f"  username: {CREDENTIAL[0]}\n  password: {CREDENTIAL[1]}\n  source: the manual\n"
    )
    return root


class _AcmeGateway(http.server.BaseHTTPRequestHandler):
    """A web service that wants a login and accepts its documented default."""

    def do_GET(self) -> None:
        expected = "Basic " + base64.b64encode(":".join(CREDENTIAL).encode()).decode()
        if self.headers.get("Authorization") == expected:
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            body = b""
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="Acme Gateway"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def gateway(net: Callable[[int], str]) -> Iterator[str]:
    address = f"{net(13)}.20"
    server = http.server.ThreadingHTTPServer((address, 8042), _AcmeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield address
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.integration
def test_fingerprints_come_from_the_catalog_given(
    tmp_path: Path, own_catalog: Path, net: Callable[[int], str]
) -> None:
    scp = Persona("scanner", f"{net(13)}.10", 11112, "SCANNER", check_called_ae=False)
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", [scp.address], dicom=[11112])
    with Lab((scp,)):
        expect(0, "--catalog", own_catalog, "discover", "--scope", scope, db=db)
    facts = by_port(f"sqlite:///{db}", 11112)
    assert facts["service.product"] == "Acme Lab Scanner"


def test_default_logins_come_from_the_catalog_given(
    tmp_path: Path, own_catalog: Path, gateway: str
) -> None:
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", [gateway], http=[8042])
    args = ("discover", "--scope", scope, "--profile", "standard", "--allow-credential-checks")
    expect(0, *args, db=db)
    assert by_port(f"sqlite:///{db}", 8042)["service.default_credentials_accepted"] is False
    ran = expect(0, "--catalog", own_catalog, *args, db=db)
    assert by_port(f"sqlite:///{db}", 8042)["service.default_credentials_accepted"] is True
    with open_store(f"sqlite:///{db}") as store:
        reported = [o for o in store.observations() if o.name == "credentials.default_reported"]
    assert [o.value for o in reported] == [True]
    for text in (ran.stdout, ran.stderr, (tmp_path / "t.db.connections.log").read_text()):
        assert CREDENTIAL[1] not in text


def test_catalog_validate_checks_the_discovery_section(own_catalog: Path) -> None:
    expect(0, "--catalog", own_catalog, "catalog", "validate")
    credentials = own_catalog / "discovery" / "default_credentials.yaml"
    credentials.write_text(credentials.read_text().replace("product: acme-gateway", "product: x"))
    ran = expect(2, "--catalog", own_catalog, "catalog", "validate")
    assert "default credential for unknown product 'x'" in ran.stderr
    broken = own_catalog / "discovery" / "implementations.yaml"
    broken.write_text("- {id: y, vendor: V, product: P, version_name: '(', source: s}\n")
    ran = expect(2, "--catalog", own_catalog, "catalog", "validate")
    assert "implementations.yaml" in ran.stderr and "version_name" in ran.stderr


@pytest.mark.integration
def test_json_output_says_what_was_learned_per_target(
    tmp_path: Path, net: Callable[[int], str]
) -> None:
    scp = Persona("open", f"{net(13)}.30", 11112, "OPEN", check_called_ae=False)
    closed = f"{net(13)}.31"
    db = tmp_path / "t.db"
    expect(0, "init", db=db)
    scope = _scope(tmp_path / "scope.yaml", [scp.address, closed], dicom=[11112])
    with Lab((scp,)):
        ran = expect(
            0, "discover", "--scope", scope, "--profile", "standard", "--allow-query",
            "--format", "json", db=db,
        )  # fmt: skip
    data = json.loads(ran.stdout)
    assert data["profile"] == "standard" and data["authorised_by"] == "catalog test"
    assert data["summary"]["services_found"] == 1
    assert data["summary"]["connection_log"] == f"{db}.connections.log"
    targets = {t["target"]: t for t in data["targets"]}
    found = targets[f"{scp.address}:11112"]
    assert found["status"] == "answered" and found["outcome"] == "accepted"
    assert found["protocol"] == "dicom"
    assert found["facts"]["dicom.accepts_unknown_calling_ae"] is True
    assert found["asset_id"] == "discovered-" + scp.address.replace(".", "-")
    raised = {f["check_id"].rsplit(":", 1)[1] for f in found["findings"]}
    assert {
        "dicom-unknown-calling-ae", "dicom-anonymous-query-exposes-studies", "unmanaged-asset"
    } <= raised  # fmt: skip
    [critical] = [f for f in found["findings"] if f["severity"] == "critical"]
    assert critical["check_id"].endswith("dicom-anonymous-query-exposes-studies")
    nothing = targets[f"{closed}:11112"]
    assert nothing["status"] == "closed" and nothing["findings"] == []
    assert nothing["asset_id"] is None
