"""Severity follows what an attacker gets: patient data read > studies altered or added >
an echo; and network placement, where unknown is not safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.discovery.interface import ServiceResult, Target, TargetKind
from imagewarden.model import Finding, NetworkZone, Service, ServiceProtocol, Severity
from imagewarden.store import Store
from tests.assessing import run_assessment
from tests.discovery.helpers import apply_batch, batch_of
from tests.factories import asset, inventory

CHECK = "urn:imagewarden:check:"
PHI_READ = {CHECK + "dicom-anonymous-query-exposes-studies",
            CHECK + "dicomweb-anonymous-query-exposes-studies"}  # fmt: skip
OPEN_ARCHIVE = {
    "dicom.association_outcome": "accepted",
    "service.tls": False,
    "dicom.accepts_unknown_calling_ae": True,
    "dicom.accepts_storage": True,
    "dicom.accepts_query_find": True,
    "dicom.anonymous_query": True,
    "dicom.study_count": 5,
}
ECHO_ONLY = {
    "dicom.association_outcome": "accepted",
    "service.tls": False,
    "dicom.accepts_unknown_calling_ae": True,
    "dicom.accepts_verification": True,
    "dicom.accepts_storage": False,
    "dicom.accepts_query_find": False,
    "dicom.accepts_retrieve_move": False,
    "dicom.accepts_retrieve_get": False,
    "dicom.accepts_worklist": False,
}
OPEN_WEB = {"service.tls": False, "service.auth_required": False,
            "dicomweb.anonymous_query": True, "dicomweb.study_count_sample": 1}  # fmt: skip

# asset id -> (zone, kind of port, facts)
DEVICES: dict[str, tuple[NetworkZone, TargetKind, dict[str, Any]]] = {
    "ARCH-IMAGING": (NetworkZone.IMAGING, TargetKind.DICOM, OPEN_ARCHIVE),
    "ARCH-UNKNOWN": (NetworkZone.UNKNOWN, TargetKind.DICOM, OPEN_ARCHIVE),
    "ARCH-CLINICAL": (NetworkZone.CLINICAL, TargetKind.DICOM, OPEN_ARCHIVE),
    "ARCH-EMPTY": (NetworkZone.UNKNOWN, TargetKind.DICOM,
                   {**OPEN_ARCHIVE, "dicom.study_count": 0}),
    "ECHO-UNKNOWN": (NetworkZone.UNKNOWN, TargetKind.DICOM, ECHO_ONLY),
    "ECHO-CLINICAL": (NetworkZone.CLINICAL, TargetKind.DICOM, ECHO_ONLY),
    "STORE-UNKNOWN": (NetworkZone.UNKNOWN, TargetKind.DICOM,
                      {**ECHO_ONLY, "dicom.accepts_storage": True}),
    "PARTLY-KNOWN": (NetworkZone.UNKNOWN, TargetKind.DICOM,
                     {**ECHO_ONLY, "dicom.accepts_worklist": None}),
    "WEB-IMAGING": (NetworkZone.IMAGING, TargetKind.HTTP, OPEN_WEB),
    "WEB-UNKNOWN": (NetworkZone.UNKNOWN, TargetKind.HTTP, OPEN_WEB),
}  # fmt: skip


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> list[Finding]:
    db = tmp_path_factory.mktemp("severity") / "t.db"
    assets, results = [], []
    for n, (asset_id, (zone, kind, facts)) in enumerate(DEVICES.items(), start=1):
        address = f"10.40.0.{n}"
        protocol = ServiceProtocol.DICOM if kind is TargetKind.DICOM else ServiceProtocol.DICOMWEB
        port = 104 if kind is TargetKind.DICOM else 8042
        assets.append(
            asset(asset_id, network_zone=zone, ip_addresses=(address,),
                  services=(Service(protocol, port),))
        )  # fmt: skip
        known = {k: v for k, v in facts.items() if v is not None}
        results.append(ServiceResult(Target(address, port, kind), True, protocol, known))
    store: Store
    with open_store(f"sqlite:///{db}", create=True) as store:
        store.save_inventory(inventory(*assets))
        apply_batch(store, batch_of(results), catalog)
        return run_assessment(store, catalog).findings


def _on(findings: list[Finding], asset_id: str) -> dict[str, Finding]:
    return {f.check_id.removeprefix(CHECK): f for f in findings if f.asset_id == asset_id}


def test_reading_patient_data_outside_the_imaging_zone_is_critical(
    findings: list[Finding],
) -> None:
    for asset_id, check in (
        ("ARCH-UNKNOWN", "dicom-anonymous-query-exposes-studies"),  # unknown is not safe
        ("ARCH-CLINICAL", "dicom-anonymous-query-exposes-studies"),
        ("WEB-UNKNOWN", "dicomweb-anonymous-query-exposes-studies"),
    ):
        found = _on(findings, asset_id)
        assert found[check].severity is Severity.CRITICAL, asset_id
    for asset_id, check in (
        ("ARCH-IMAGING", "dicom-anonymous-query"),
        ("WEB-IMAGING", "dicomweb-anonymous-query"),
        ("ARCH-EMPTY", "dicom-anonymous-query"),  # answered, but nothing to read yet
    ):
        found = _on(findings, asset_id)
        assert found[check].severity is Severity.HIGH, asset_id
        assert not PHI_READ & {CHECK + c for c in found}, asset_id


def test_a_device_that_only_echoes_ranks_below_every_patient_data_exposure(
    findings: list[Finding],
) -> None:
    echo = [f for f in findings if f.check_id == CHECK + "dicom-unknown-calling-ae-echo-only"]
    assert {f.asset_id for f in echo} == {"ECHO-UNKNOWN", "ECHO-CLINICAL"}
    exposures = [
        f for f in findings
        if f.check_id in PHI_READ or f.check_id.endswith("anonymous-query")
    ]  # fmt: skip
    assert len(exposures) == 6
    lowest_exposure = min(f.severity.rank for f in exposures)
    assert max(f.severity.rank for f in echo) < lowest_exposure
    assert lowest_exposure >= Severity.HIGH.rank
    # Same placement, same criticality: the exposure's risk score is higher too.
    unknown_zone = _on(findings, "ARCH-UNKNOWN")["dicom-anonymous-query-exposes-studies"]
    echo_unknown = _on(findings, "ECHO-UNKNOWN")["dicom-unknown-calling-ae-echo-only"]
    assert unknown_zone.risk.score > echo_unknown.risk.score
    # Plain DICOM without TLS stays below the exposures it sits next to.
    no_tls = [f for f in findings if f.check_id == CHECK + "dicom-no-tls"]
    assert no_tls and max(f.severity.rank for f in no_tls) < lowest_exposure


def test_storing_or_querying_as_an_unknown_caller_stays_high(findings: list[Finding]) -> None:
    for asset_id in ("ARCH-IMAGING", "STORE-UNKNOWN", "PARTLY-KNOWN"):
        found = _on(findings, asset_id)
        assert found["dicom-unknown-calling-ae"].severity is Severity.HIGH, asset_id
        assert "dicom-unknown-calling-ae-echo-only" not in found, asset_id
    # Unknown is not "no": a worklist acceptance nobody measured keeps the higher rating.
    assert "dicom-unknown-calling-ae" in _on(findings, "PARTLY-KNOWN")


def test_each_discovery_exposure_fires_once_per_service(findings: list[Finding]) -> None:
    for asset_id in DEVICES:
        checks = set(_on(findings, asset_id))
        assert len(checks & {"dicom-anonymous-query", "dicom-anonymous-query-exposes-studies"}) <= 1
        assert len(checks & {"dicom-unknown-calling-ae", "dicom-unknown-calling-ae-echo-only"}) <= 1


def test_the_severity_rules_say_what_the_attacker_gets(catalog: Catalog) -> None:
    path = Path(__file__).parents[2] / "src/imagewarden/catalog/data/checks/discovery.yaml"
    text = path.read_text()
    for words in ("read patient data", "alter or add studies", "echo only"):
        assert words in text, words
    for name in ("dicom-anonymous-query-exposes-studies", "dicom-unknown-calling-ae-echo-only"):
        assert "attacker" in catalog.checks[CHECK + name].why.lower() or "anyone" in (
            catalog.checks[CHECK + name].why.lower()
        )
