"""Captures of real associations (DCMTK tools against dcmqrscp, storescp and a pynetdicom SCP,
with and without TLS), read by ImageWarden and cross-checked against tshark's dissection."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from imagewarden.traffic.analyze import analyze_files
from imagewarden.traffic.model import CaptureBatch, FlowRecord
from tests.cli_runner import expect
from tests.traffic import netlab, tshark
from tests.traffic.dicom_files import PATIENT_ID, PATIENT_NAME
from tests.traffic.scenario import (
    ARCHIVE_PORT,
    MOVE_PORT,
    PYNET_PORT,
    TLS_PORT,
    Expected,
    record_plain,
    record_tls,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(netlab.available() is not None, reason=str(netlab.available())),
    pytest.mark.skipif(not tshark.available(), reason="tshark is not installed"),
]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Expected]]:
    return record_plain(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    return record_tls(tmp_path_factory.mktemp("tls"))


def _ours(batch: CaptureBatch) -> dict[tshark.Key, dict[str, object]]:
    facts: dict[tshark.Key, dict[str, object]] = {}
    for flow in batch.flows:
        if flow.protocol != "dicom":
            continue
        responses: Counter[str] = Counter()
        for name, count in flow.responses.items():
            op, status = name.split(" ")
            responses[f"{op} total"] += count
            if status == "success":
                responses["final success"] += count
        key = (flow.client, flow.server, flow.port, flow.calling_ae, flow.called_ae)
        facts[key] = {
            "associations": Counter(flow.associations),
            "requests": Counter(flow.requests),
            "responses": responses,
        }
    return facts


def _by_key(batch: CaptureBatch) -> dict[tuple[str, str, int, str, str], FlowRecord]:
    return {(f.client, f.server, f.port, f.calling_ae, f.called_ae): f for f in batch.flows}


def test_dicom_facts_match_what_was_sent(plain: tuple[Path, list[Expected]]) -> None:
    capture, expected = plain
    batch = analyze_files([capture])
    flows = _by_key(batch)
    for want in expected:
        key = (want.client, want.server, want.port, want.calling, want.called)
        assert key in flows, f"no flow {key}; found {sorted(flows)}"
        flow = flows[key]
        assert dict(flow.associations) == {want.outcome: 1}, key
        assert dict(flow.requests) == want.requests, key
        assert flow.malformed == 0 and flow.lost_bytes == 0
    assert len([f for f in batch.flows if f.protocol == "dicom"]) == len(expected)
    store = flows[(expected[1].client, expected[1].server, ARCHIVE_PORT, "STORESCU", "LABQR")]
    assert store.images_in_clear == 3
    assert "1.2.840.10008.5.1.4.1.1.2" in store.sop_classes  # CT Image Storage
    assert store.data_sets_to_server == 3
    assert store.client_implementation.endswith("OFFIS_DCMTK_367")
    find = flows[(expected[2].client, expected[2].server, ARCHIVE_PORT, "FINDSCU", "LABQR")]
    assert find.responses == {"C-FIND pending": 3, "C-FIND success": 1}  # matches counted only
    move = flows[(expected[3].client, expected[3].server, ARCHIVE_PORT, "MOVESCU", "LABQR")]
    assert move.move_destinations == ("MOVESCU",)
    sub = flows[(expected[4].client, expected[4].server, MOVE_PORT, "LABQR", "MOVESCU")]
    assert sub.requests == {"C-STORE": 3}
    rejected = flows[(expected[5].client, expected[5].server, ARCHIVE_PORT, "ECHOSCU", "NOSUCHAE")]
    assert rejected.rejections == {"1/1/7": 1}  # permanent, service user, called AE unknown
    pynet = flows[(expected[7].client, expected[7].server, PYNET_PORT, "PYECHO", "PYSCP")]
    assert "PYNETDICOM" in pynet.client_implementation
    assert "PYNETDICOM" in pynet.server_implementation


def test_facts_agree_with_tshark(plain: tuple[Path, list[Expected]]) -> None:
    capture, _ = plain
    rows = tshark.fields(capture, [ARCHIVE_PORT, MOVE_PORT, PYNET_PORT])
    theirs = tshark.dicom_facts(rows)
    ours = _ours(analyze_files([capture]))
    assert ours == theirs


def test_patient_data_is_in_the_capture_but_never_in_what_is_printed_or_stored(
    plain: tuple[Path, list[Expected]], tmp_path: Path
) -> None:
    capture, _ = plain
    raw = capture.read_bytes()
    assert PATIENT_NAME.encode() in raw and PATIENT_ID.encode() in raw  # the test means it
    db = tmp_path / "iw.db"
    expect(0, "init", db=db)
    expect(0, "import", "inventory", _inventory(tmp_path), db=db)
    ran = expect(0, "traffic", "analyze", capture, "--site", "lab", "--json", db=db)
    expect(0, "assess", db=db)
    report = tmp_path / "report.html"
    expect(0, "report", "-o", report, db=db)
    plan = expect(0, "segmentation", "plan", "--format", "yaml", db=db)
    rows = tshark.fields(capture, [ARCHIVE_PORT, MOVE_PORT, PYNET_PORT])
    for text in (
        ran.stdout + ran.stderr,
        plan.stdout,
        report.read_text(),
        "\n".join("|".join(r) for r in rows),
    ):
        assert PATIENT_NAME not in text and PATIENT_ID not in text
        assert "Capturetest" not in text
    stored = db.read_bytes()
    assert b"Capturetest" not in stored and PATIENT_ID.encode() not in stored


def _inventory(folder: Path) -> Path:
    path = folder / "inventory.csv"
    path.write_text(
        "id,site,name,type,ip_addresses,services,ae_title\n"
        "ARCHIVE,Lab,Lab archive,pacs,10.97.0.1,dicom:11112,LABQR\n"
    )
    return path


def test_tls_version_and_cipher_agree_with_tshark(tls: tuple[Path, int]) -> None:
    capture, associations = tls
    batch = analyze_files([capture])
    (flow,) = batch.flows
    assert flow.protocol == "tls" and flow.port == TLS_PORT and flow.encrypted
    assert flow.connections == associations
    assert flow.calling_ae == "" and not flow.requests  # nothing inside TLS is read
    hellos = tshark.tls_hellos(capture)
    server_hellos = [h for h in hellos if h[1] == "2"]
    assert len(server_hellos) == associations
    assert {h[2] for h in server_hellos} == {"0x0304"}
    assert flow.tls_version == "TLSv1.3"
    suites = {int(h[3], 16) for h in server_hellos}
    assert flow.tls_cipher == {
        0x1302: "TLS_AES_256_GCM_SHA384",
        0x1301: "TLS_AES_128_GCM_SHA256",
    }.get(suites.pop(), "?")
