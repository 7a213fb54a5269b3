"""CVE findings: fields, explainable risk and priority, lifecycle across feed updates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.model import (
    AssetType,
    Criticality,
    Finding,
    FindingStatus,
    NetworkZone,
    Service,
    ServiceProtocol,
    SubjectKind,
    finding_fingerprint,
)
from imagewarden.store import FindingFilter, Store
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.producer import CVE_CHECK, KEV_CHECK, vuln_producer
from imagewarden.vulns.store.repository import VulnRepository
from tests.assessing import run_assessment
from tests.factories import asset, fact, inventory

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

MIRTH = asset(
    "MIRTH-1",
    type=AssetType.INTEGRATION_ENGINE,
    vendor="NextGen Healthcare",
    model="Mirth Connect",
    software_version="4.3.0",
    os="",
    os_version="",
    services=(),
    network_zone=NetworkZone.CLINICAL,
    criticality=Criticality.HIGH,
)
ORTHANC = asset(
    "ORTHANC-1",
    type=AssetType.PACS,
    vendor="Orthanc",
    model="Orthanc Server",
    software_version="1.5.6",
    os="",
    os_version="",
    network_zone=NetworkZone.IMAGING,
    criticality=Criticality.MEDIUM,
    services=(Service(ServiceProtocol.DICOM, 4242, internet_exposed=True),),
)


def _by_cve(store: Store) -> dict[str, Finding]:
    return {
        str(f.extra["cve"]): f
        for check in (KEV_CHECK, CVE_CHECK)
        for f in store.findings(FindingFilter(check_id=check))
    }


def test_no_producer_until_a_feed_is_imported(store: Store, catalog: Catalog) -> None:
    assert vuln_producer(store, catalog) is None


def test_kev_finding_carries_enrichment_priority_and_stable_id(
    fed_store: Store, catalog: Catalog
) -> None:
    fed_store.save_inventory(
        inventory(MIRTH, ORTHANC, observations=(fact("MIRTH-1", "phi.stored", True),))
    )
    run_assessment(fed_store, catalog, now=NOW)
    found = _by_cve(fed_store)
    kev = found["CVE-2023-43208"]
    assert kev.check_id == KEV_CHECK
    assert kev.id == finding_fingerprint(CVE_CHECK, SubjectKind.ASSET, "MIRTH-1#CVE-2023-43208")
    extra = dict(kev.extra)
    assert extra["kev"] is True and extra["kev_ransomware"] is True
    assert extra["kev_due"] == "2024-06-10"
    assert extra["cvss"] == 9.8 and extra["epss"] > 0.9
    assert extra["priority"] == "act" and extra["confidence"] == "confirmed"
    assert str(extra["priority_reason"]).startswith("act: known exploited (CISA KEV, used by")
    assert kev.severity.value == "critical"
    factors = {f.name: f for f in kev.risk.factors}
    assert factors["exploitability"].points == 15.0
    assert "CISA KEV since 2024-05-20" in factors["exploitability"].reason
    assert factors["severity"].reason == "CVSS 9.8 (critical)"
    # Orthanc's CVE is not in KEV: the exploitability factor comes from EPSS instead.
    orthanc = found["CVE-2023-33466"]
    assert orthanc.check_id == CVE_CHECK
    reason = {f.name: f for f in orthanc.risk.factors}["exploitability"].reason
    assert reason.startswith("EPSS ")
    # Internet-exposed service + critical CVSS -> act even without KEV.
    assert found["CVE-2025-0896"].extra["priority"] == "act"


def test_accepted_cve_reopens_after_expiry_and_newer_feed_mitigates(
    fed_store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    fed_store.save_inventory(inventory(MIRTH))
    run_assessment(fed_store, catalog, now=NOW)
    finding = _by_cve(fed_store)["CVE-2023-43208"]
    fed_store.set_finding_status(
        finding.id,
        FindingStatus.ACCEPTED,
        "vendor patch scheduled",
        dt.date(2026, 12, 1),
    )
    run_assessment(fed_store, catalog, now=NOW + dt.timedelta(days=1))
    assert _by_cve(fed_store)["CVE-2023-43208"].status is FindingStatus.ACCEPTED
    run_assessment(fed_store, catalog, now=dt.datetime(2026, 12, 2, tzinfo=dt.UTC))
    reopened = _by_cve(fed_store)["CVE-2023-43208"]
    assert reopened.status is FindingStatus.OPEN
    assert reopened.status_reason == "risk acceptance expired"
    # A newer NVD record narrows the affected range below 4.3.0: the finding is mitigated.
    record = json.loads((shared / "nvd" / "CVE-2023-43208.json").read_text())
    record["lastModified"] = "2026-12-01T00:00:00.000"
    record["configurations"][0]["nodes"][0]["cpeMatch"][0]["versionEndExcluding"] = "4.2.0"
    feed = tmp_path / "recent.json"
    feed.write_text(json.dumps({"format": "NVD_CVE", "vulnerabilities": [{"cve": record}]}))
    FeedImporter(VulnRepository(fed_store), catalog, "tester").import_paths([feed])
    run_assessment(fed_store, catalog, now=dt.datetime(2026, 12, 3, tzinfo=dt.UTC))
    after = {f.id: f for f in fed_store.findings()}[finding.id]
    assert after.status is FindingStatus.MITIGATED


def test_false_positive_stays_while_the_match_remains(fed_store: Store, catalog: Catalog) -> None:
    fed_store.save_inventory(inventory(dataclasses.replace(MIRTH, id="MIRTH-2")))
    run_assessment(fed_store, catalog, now=NOW)
    finding = _by_cve(fed_store)["CVE-2023-43208"]
    fed_store.set_finding_status(finding.id, FindingStatus.FALSE_POSITIVE, "runs the patched fork")
    run_assessment(fed_store, catalog, now=NOW + dt.timedelta(days=1))
    assert _by_cve(fed_store)["CVE-2023-43208"].status is FindingStatus.FALSE_POSITIVE


def test_decision_survives_the_cve_joining_kev(
    fed_store: Store, catalog: Catalog, tmp_path: Path
) -> None:
    fed_store.save_inventory(inventory(ORTHANC))
    run_assessment(fed_store, catalog, now=NOW)
    before = _by_cve(fed_store)["CVE-2023-33466"]
    assert before.check_id == CVE_CHECK
    fed_store.set_finding_status(
        before.id, FindingStatus.ACCEPTED, "isolated test system", dt.date(2027, 1, 31)
    )
    kev = tmp_path / "kev.json"
    entry = {
        "cveID": "CVE-2023-33466",
        "vendorProject": "Orthanc",
        "product": "Orthanc Server",
        "vulnerabilityName": "test entry",
        "dateAdded": "2026-11-02",
        "dueDate": "2026-11-23",
        "knownRansomwareCampaignUse": "Unknown",
    }
    kev.write_text(json.dumps({"catalogVersion": "test", "vulnerabilities": [entry]}))
    FeedImporter(VulnRepository(fed_store), catalog, "tester").import_paths([kev])
    run_assessment(fed_store, catalog, now=NOW + dt.timedelta(days=2))
    after = _by_cve(fed_store)["CVE-2023-33466"]
    assert (after.id, after.check_id) == (before.id, KEV_CHECK)
    assert after.status is FindingStatus.ACCEPTED
    assert after.extra["kev_due"] == "2026-11-23" and after.extra["priority"] == "act"
