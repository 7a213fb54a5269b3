"""Discovery against real Orthanc and DCMTK peers, each inside its own network namespace."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.app import open_store
from tests.discovery.helpers import ACCESS_CHECKS, by_port, dump_sqlite, open_checks
from tests.discovery.netns_scenario import DICOMWEB_PLUGIN, PORTS, SCENARIOS

SCRIPT = Path(__file__).with_name("netns_scenario.py")
CANARIES = ("CANARY^PHI", "CANARY-PID-7731", "CANARY", "PID-7731")
DATABASE_FILES = ("iw.db", "iw.db-wal", "iw.db-shm", "iw.db-journal")

pytestmark = [pytest.mark.integration]


def _unshare_usable() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10)
    return probe.returncode == 0


@pytest.fixture(scope="session")
def peers(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Run every peer scenario once per test session, in one private network namespace.

    Parallel workers share the run through a lock file, so the peers start only once.
    """
    if not _unshare_usable():
        pytest.skip("unshare -n is not permitted here (needs root or user namespaces)")
    for binary in ("Orthanc", "dcmqrscp"):
        if shutil.which(binary) is None:
            pytest.fail(f"{binary} is not installed; run scripts/system-deps")
    if not Path(DICOMWEB_PLUGIN).exists():
        pytest.fail("the Orthanc DICOMweb plugin is missing; run scripts/system-deps")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    root = shared / "discovery-peers"
    with (shared / "discovery-peers.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            completed = subprocess.run(
                ["unshare", "-n", sys.executable, str(SCRIPT), str(root), *SCENARIOS],
                capture_output=True,
                timeout=300,
                cwd=Path(__file__).parents[2],
            )
            assert completed.returncode == 0, completed.stderr.decode(errors="replace")[-2000:]
            (root / "done").write_text("ok")
    return root


def _scenario(name: str, peers: Path) -> tuple[str, Path, int, int]:
    root = peers / name
    result = json.loads((root / "result.json").read_text())
    assert result["discover_rc"] == 0, (root / "iw" / "discover.err").read_text()
    assert result["assess_rc"] == 0
    dicom_port, http_port = PORTS[name]
    return f"sqlite:///{root / 'iw' / 'iw.db'}", root, dicom_port, http_port


def test_insecure_orthanc_weaknesses_found_and_phi_canary_never_leaves(peers: Path) -> None:
    db, tmp_path, dicom_port, http_port = _scenario("orthanc-insecure", peers)
    dicom = by_port(db, dicom_port)
    assert dicom["dicom.accepts_any_called_ae"] is True
    assert dicom["dicom.accepts_unknown_calling_ae"] is True
    assert dicom["dicom.anonymous_query"] is True
    assert dicom["dicom.study_count"] == 1  # the canary study, counted, never read
    assert dicom["dicom.accepts_storage"] is True
    assert dicom["service.tls"] is False
    assert dicom["dicom.implementation_version"] == "OFFIS_DCMTK_367"
    assert dicom["service.product"] == "OFFIS DCMTK"
    with open_store(db) as store:
        [service] = [s for a in store.assets() for s in a.services if s.port == dicom_port]
    assert service.ae_title == "ORTHANC"  # filled in from the REST API's /system
    rest = by_port(db, http_port)
    assert rest["service.auth_required"] is False
    assert rest["service.product"] == "Orthanc"  # not "Orthanc Orthanc"
    assert rest["rest.dicom_ae_title"] == "ORTHANC"  # what the REST API advertises
    assert rest["rest.dicom_port"] == dicom_port
    assert rest["service.product_version"] == "1.10.1"
    assert rest["service.product_outdated"] is True
    assert rest["dicomweb.anonymous_query"] is True  # QIDO-RS, count kept only
    assert rest["dicomweb.study_count_sample"] == 1
    checks = open_checks(db)
    for expected in (
        "dicom-any-called-ae",
        "dicom-unknown-calling-ae",
        "dicom-anonymous-query-exposes-studies",  # critical: a discovered host's zone is unknown
        "dicom-no-tls",
        "dicomweb-anonymous-query-exposes-studies",
        "service-without-authentication",
        "discovered-product-outdated",
        "unmanaged-asset",
    ):
        assert f"urn:imagewarden:check:{expected}" in checks, expected

    # PHI canary: nothing ImageWarden wrote or printed holds the canary identifiers.
    iw = tmp_path / "iw"
    texts = {
        p.name: p.read_bytes().decode("utf-8", "replace")
        for p in iw.iterdir()
        if p.is_file() and p.name not in DATABASE_FILES
    }
    assert "iw.db.connections.log" in texts  # the connection log is checked too
    texts["database rows"] = dump_sqlite(iw / "iw.db")
    assert (iw / "report.html").stat().st_size > 0 and texts["discover.out"].strip()
    assert "Orthanc Orthanc" not in texts["report.html"]  # the discovered host's product, once
    for where, text in texts.items():
        for canary in CANARIES:
            assert canary not in text, f"canary {canary!r} leaked into {where}"
    # ... while the peer really holds it (the canary would have been findable).
    peer_files = b"".join(p.read_bytes() for p in (tmp_path / "peer").rglob("*") if p.is_file())
    assert b"CANARY^PHI" in peer_files


def test_hardened_orthanc_shows_no_access_weakness(peers: Path) -> None:
    db, _, dicom_port, http_port = _scenario("orthanc-hardened", peers)
    dicom = by_port(db, dicom_port)
    assert dicom["dicom.association_outcome"] == "accepted"  # the configured peer's titles
    assert dicom["dicom.accepts_any_called_ae"] is False
    assert dicom["dicom.accepts_unknown_calling_ae"] is False
    assert "dicom.anonymous_query" not in dicom
    rest = by_port(db, http_port)
    assert rest["service.auth_required"] is True
    assert rest["service.default_credentials_accepted"] is False
    assert not (open_checks(db) & ACCESS_CHECKS)


def test_orthanc_default_credentials_found_with_the_opt_in(peers: Path) -> None:
    db, tmp_path, _, http_port = _scenario("orthanc-default-credentials", peers)
    rest = by_port(db, http_port)
    assert rest["service.auth_required"] is True
    assert rest["service.default_credentials_accepted"] is True
    assert "urn:imagewarden:check:default-credentials" in open_checks(db)
    # The credential itself is never stored, printed or logged; the log says it was tried.
    log = (tmp_path / "iw" / "iw.db.connections.log").read_text()
    assert "GET(/system;default-credential)" in log
    for path in (tmp_path / "iw").iterdir():
        if path.name in DATABASE_FILES:
            continue
        text = path.read_text(errors="replace")
        assert "orthanc:orthanc" not in text and "b3J0aGFuYzpvcnRoYW5j" not in text


def test_dcmqrscp_restricted_peers_show_no_access_weakness(peers: Path) -> None:
    db, _, dicom_port, _ = _scenario("dcmqrscp", peers)
    dicom = by_port(db, dicom_port)
    assert dicom["dicom.association_outcome"] == "accepted"
    assert dicom["dicom.accepts_any_called_ae"] is False
    assert dicom["dicom.accepts_unknown_calling_ae"] is False
    assert dicom["dicom.accepts_query_find"] is True
    assert dicom["service.product"] == "OFFIS DCMTK"
    assert not (open_checks(db) & ACCESS_CHECKS)
