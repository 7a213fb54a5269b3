"""The vulnerability application API: what the CLI, the web workspace and workers call.

Imports are audited (one entry per file, with counts), MDS2 facts go through one collector
batch, findings carry typed details, and the CycloneDX VEX validates against the schema.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from openpyxl import Workbook

from imagewarden.app import Workspace, installed_capabilities
from imagewarden.catalog import Catalog
from imagewarden.model import (
    AssetType,
    Finding,
    FindingStatus,
    NetworkZone,
    ObservationSource,
    UserInputError,
)
from imagewarden.store import Store
from imagewarden.vulns import api
from imagewarden.vulns.details import VulnDetails, details_of
from imagewarden.vulns.interface import Confidence, FeedKind, Priority
from imagewarden.vulns.mds2 import MDS2_FACTS
from imagewarden.vulns.store.repository import FEED_IMPORT_ACTION, SBOM_IMPORT_ACTION
from imagewarden.vulns.vex import VexFormat
from tests.assessing import run_assessment
from tests.factories import asset, inventory

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
MIRTH = asset(
    "MIRTH-1",
    type=AssetType.INTEGRATION_ENGINE,
    vendor="NextGen Healthcare",
    model="Mirth Connect",
    software_version="4.3.0",
    os="Windows 7",
    os_version="SP1",
    services=(),
    network_zone=NetworkZone.CLINICAL,
)


def _workspace(store: Store, catalog: Catalog) -> Workspace:
    return Workspace(store, catalog, installed_capabilities(), actor="alice")


def test_each_feed_file_import_is_one_audit_entry_with_counts(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    workspace = _workspace(store, catalog)
    result = api.import_feeds(workspace, [shared / "kev", shared / "epss"], now=NOW)
    assert [f.kind for f in result.files] == [FeedKind.KEV, FeedKind.EPSS]
    entries = store.audit_entries(action=FEED_IMPORT_ACTION)
    assert len(entries) == 2  # one per file, not per record
    by_kind = {e.after["kind"]: e for e in entries if e.after is not None}
    assert by_kind["kev"].after == {"kind": "kev", "records": 1404, "skipped": 0}
    assert all(e.actor == "alice" for e in entries)
    # A refused file writes neither records nor an audit entry.
    bad = tmp_path / "epss.csv"
    bad.write_text("cve,epss,percentile\nCVE-2017-0144,0.5,0.5\nCVE-2017-0145,2,0.5\n")
    with pytest.raises(UserInputError, match="nothing from this file was imported"):
        api.import_feeds(workspace, [bad])
    assert len(store.audit_entries(action=FEED_IMPORT_ACTION)) == 2
    assert store.verify_audit().intact
    status = api.feed_status(workspace)
    assert (status.counts.kev, status.counts.epss) == (1404, 49)
    assert [r.kind for r in status.latest] == [FeedKind.KEV, FeedKind.EPSS]


def _mds2(path: Path, answers: dict[str, str]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for qid, answer in answers.items():
        sheet.append([qid, "question text", answer])
    book.save(path)
    return path


def test_mds2_is_one_audited_batch_and_a_newer_form_replaces_every_mds2_fact(
    store: Store, catalog: Catalog, tmp_path: Path
) -> None:
    store.save_inventory(inventory(asset("CT-9", os="", os_version="", services=())))
    workspace = _workspace(store, catalog)
    first = _mds2(tmp_path / "a.xlsx", {"MPII-2": "Yes", "STCF-1": "No", "RMOT-1": "Yes"})
    done = api.import_mds2(workspace, first, "CT-9", now=NOW)
    assert (done.answers, done.facts) == (3, 4)

    def answered() -> dict[str, object]:
        observations = store.observations(source=ObservationSource.ANSWERED)
        return {o.name: o.value for o in observations if o.subject_id == "CT-9"}

    assert answered() == {
        "docs.mds2_on_file": True,
        "phi.stored": True,
        "mds2.encrypts_at_rest": False,
        "mds2.remote_service": True,
    }
    # The vendor's newer form no longer answers RMOT-1: that fact is unknown again.
    second = _mds2(tmp_path / "b.xlsx", {"MPII-2": "Yes", "STCF-1": "Yes"})
    api.import_mds2(workspace, second, "CT-9", now=NOW + dt.timedelta(days=1))
    facts = answered()
    assert "mds2.remote_service" not in facts and facts["mds2.encrypts_at_rest"] is True
    assert set(facts) <= MDS2_FACTS
    entries = store.audit_entries(action=api.MDS2_IMPORT_ACTION)
    assert [e.after for e in entries] == [
        {"file": "b.xlsx", "answers": 2, "facts": 3},
        {"file": "a.xlsx", "answers": 3, "facts": 4},
    ]
    with pytest.raises(UserInputError, match="no asset with id 'NOPE'"):
        api.import_mds2(workspace, second, "NOPE")


def test_sbom_import_is_audited_and_needs_a_known_asset(
    store: Store, catalog: Catalog, tmp_path: Path
) -> None:
    store.save_inventory(inventory(MIRTH))
    workspace = _workspace(store, catalog)
    bom = tmp_path / "bom.json"
    component = {"type": "library", "name": "dcmtk", "version": "3.6.6"}
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "components": [component]}))
    assert api.import_sbom(workspace, bom, "MIRTH-1").components == 1
    entry = store.audit_entries(action=SBOM_IMPORT_ACTION)[0]
    assert (entry.target, entry.after) == ("MIRTH-1", {"source": "sbom:bom.json", "components": 1})
    with pytest.raises(UserInputError, match="no asset with id"):
        api.import_sbom(workspace, bom, "GHOST")


def test_details_round_trip_and_tolerate_old_or_mistyped_extras() -> None:
    details = VulnDetails(
        cve="CVE-2023-43208",
        priority=Priority.ACT,
        priority_reason="act: known exploited",
        confidence=Confidence.CONFIRMED,
        match_reason="NVD CPE",
        matched="NVD CPE nextgen:mirth_connect < 4.4.1",
        compared_model="Mirth Connect",
        compared_version="4.3.0",
        fixed_version="4.4.1",
        kev=True,
        kev_added="2024-05-20",
        kev_due="2024-06-10",
        ransomware=True,
        epss=0.94,
        percentile=0.999,
        cvss=9.8,
        cvss_version="3.1",
        cvss_vector="CVSS:3.1/AV:N",
        description="text",
    )
    assert VulnDetails.from_extra(details.to_extra()) == details
    old = VulnDetails.from_extra(
        {"cve": "CVE-1", "priority": "urgent", "epss": "0.5", "kev": "yes", "cvss": True}
    )
    assert old == VulnDetails(cve="CVE-1")
    assert (old.priority, old.epss, old.kev, old.cvss) == (Priority.TRACK, None, False, None)


@pytest.fixture
def assessed(fed_store: Store, catalog: Catalog) -> Workspace:
    fed_store.save_inventory(inventory(MIRTH, asset("CT-1", site="south")))
    run_assessment(fed_store, catalog, now=NOW)
    return _workspace(fed_store, catalog)


def test_list_vulns_filters_on_typed_details(assessed: Workspace) -> None:
    every = api.list_vulns(assessed)
    assert every and [r.sort_key() for r in every] == sorted(r.sort_key() for r in every)
    kev = api.list_vulns(assessed, api.VulnQuery(kev_only=True))
    assert kev and all(r.details.kev for r in kev)
    ransomware = api.list_vulns(assessed, api.VulnQuery(ransomware_only=True))
    assert ransomware and all(r.details.ransomware for r in ransomware)
    mirth = api.list_vulns(assessed, api.VulnQuery(asset_id="MIRTH-1", cve="cve-2023-43208"))
    assert [(r.finding.asset_id, r.details.cve) for r in mirth] == [("MIRTH-1", "CVE-2023-43208")]
    found = mirth[0].details
    assert found.matched.startswith("NVD CPE nextgen:mirth_connect")
    assert (found.compared_model, found.compared_version) == ("Mirth Connect", "4.3.0")
    assert found.fixed_version == "4.4.1"
    confirmed = api.list_vulns(assessed, api.VulnQuery(confidence=Confidence.CONFIRMED))
    assert all(r.details.confidence is Confidence.CONFIRMED for r in confirmed)
    south = api.list_vulns(assessed, api.VulnQuery(site_id="south", limit=1))
    assert len(south) == 1 and south[0].finding.site_id == "south"
    high = api.list_vulns(assessed, api.VulnQuery(epss_above=0.5))
    assert high and all(r.details.epss is not None and r.details.epss > 0.5 for r in high)
    with pytest.raises(UserInputError, match="unknown site"):
        api.list_vulns(assessed, api.VulnQuery(site_id="nowhere"))


def _first_kev(workspace: Workspace) -> Finding:
    return api.list_vulns(workspace, api.VulnQuery(kev_only=True))[0].finding


def test_cyclonedx_vex_validates_against_the_cyclonedx_schema(
    assessed: Workspace, tmp_path: Path
) -> None:
    store = assessed.store
    kev = _first_kev(assessed)
    store.set_finding_status(kev.id, FindingStatus.FALSE_POSITIVE, "SMBv1 disabled")
    others = [r.finding for r in api.list_vulns(assessed) if r.finding.id != kev.id]
    store.set_finding_status(
        others[0].id, FindingStatus.ACCEPTED, "isolated", accepted_until=dt.date(2027, 1, 1)
    )
    target = tmp_path / "vex.cdx.json"
    result = api.export_vex(assessed, target, VexFormat.CYCLONEDX, now=NOW)
    assert result.path == target and result.statements == len(api.list_vulns(assessed))
    text = target.read_text()
    problem = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    assert problem is None, str(problem)
    bom = json.loads(text)
    states = {v["bom-ref"]: v["analysis"]["state"] for v in bom["vulnerabilities"]}
    assert states[kev.id] == "false_positive"
    assert states[others[0].id] == "exploitable"
    devices = {c["bom-ref"] for c in bom["components"]}
    assert devices == {"urn:imagewarden:asset:MIRTH-1", "urn:imagewarden:asset:CT-1"}
    # The same findings as OpenVEX.
    openvex = api.export_vex(assessed, tmp_path / "vex.json", VexFormat.OPENVEX, now=NOW)
    statements = json.loads(openvex.path.read_text())["statements"]
    assert len(statements) == result.statements
    with pytest.raises(UserInputError, match="is a folder"):
        api.export_vex(assessed, tmp_path, VexFormat.OPENVEX)


def test_cve_findings_expose_details_only_through_the_typed_object(assessed: Workspace) -> None:
    for row in api.list_vulns(assessed):
        assert details_of(row.finding) == row.details
        assert row.details.to_extra() == dict(row.finding.extra)
