"""SBOMs (CycloneDX JSON and XML) matched by CPE and purl; MDS2 forms as asset facts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from imagewarden.catalog import Catalog
from imagewarden.engine import load_view
from imagewarden.model import AssetType, NetworkZone, UserInputError
from imagewarden.store import FindingFilter, Store
from imagewarden.vulns.interface import SbomComponent
from imagewarden.vulns.mds2 import read_mds2
from imagewarden.vulns.producer import VulnProducer
from imagewarden.vulns.sbom import read_sbom
from imagewarden.vulns.store.repository import VulnRepository
from tests.assessing import run_assessment
from tests.factories import asset, inventory

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

SBOM_JSON = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "version": 1,
    "components": [
        {
            "type": "library",
            "name": "dcmtk",
            "version": "3.6.6",
            "supplier": {"name": "OFFIS"},
            "cpe": "cpe:2.3:a:offis:dcmtk:3.6.6:*:*:*:*:*:*:*",
        },
        {
            "type": "application",
            "name": "mirth-connect",
            "version": "4.3.0",
            "purl": "pkg:generic/nextgen/mirth_connect@4.3.0",
            "components": [{"type": "library", "name": "zlib", "version": "1.2.13"}],
        },
    ],
}

SBOM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
  <components>
    <component type="library">
      <supplier><name>OFFIS</name></supplier>
      <name>dcmtk</name>
      <version>3.6.7</version>
      <cpe>cpe:2.3:a:offis:dcmtk:3.6.7:*:*:*:*:*:*:*</cpe>
    </component>
    <component type="library">
      <name>orthanc</name>
      <version>1.11.0</version>
      <purl>pkg:generic/orthanc-server/orthanc@1.11.0</purl>
    </component>
  </components>
</bom>
"""


def test_cyclonedx_json_and_xml_components(tmp_path: Path) -> None:
    json_path = tmp_path / "bom.json"
    json_path.write_text(json.dumps(SBOM_JSON))
    assert sorted(read_sbom(json_path), key=lambda c: c.name) == [
        SbomComponent("dcmtk", "3.6.6", "OFFIS", "", "cpe:2.3:a:offis:dcmtk:3.6.6:*:*:*:*:*:*:*"),
        SbomComponent("mirth-connect", "4.3.0", "", "pkg:generic/nextgen/mirth_connect@4.3.0"),
        SbomComponent("zlib", "1.2.13"),
    ]
    xml_path = tmp_path / "bom.xml"
    xml_path.write_text(SBOM_XML)
    names = sorted((c.name, c.version, c.vendor) for c in read_sbom(xml_path))
    assert names == [("dcmtk", "3.6.7", "OFFIS"), ("orthanc", "1.11.0", "")]


def test_bad_sboms_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_text(json.dumps({"bomFormat": "SPDX"}))
    with pytest.raises(UserInputError, match="not a CycloneDX SBOM"):
        read_sbom(path)
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "components": [{"version": "1"}]}))
    with pytest.raises(UserInputError, match="component 1 has no name"):
        read_sbom(path)
    xml = tmp_path / "bom.xml"
    xml.write_text(
        '<!DOCTYPE x [<!ENTITY a "b">]><bom xmlns="http://cyclonedx.org/schema/bom/1.4"/>'
    )
    with pytest.raises(UserInputError, match="invalid XML"):
        read_sbom(xml)


def test_sbom_components_are_matched_by_cpe_and_purl(
    fed_store: Store, catalog: Catalog, tmp_path: Path
) -> None:
    gateway = asset(
        "GW-1",
        type=AssetType.INTEGRATION_ENGINE,
        vendor="Laurel Bridge Software",
        model="Compass",
        software_version="5.1",
        os="",
        os_version="",
        services=(),
        network_zone=NetworkZone.IMAGING,
    )
    fed_store.save_inventory(inventory(gateway))
    xml = tmp_path / "bom.xml"
    xml.write_text(SBOM_XML)
    json_path = tmp_path / "bom.json"
    json_path.write_text(json.dumps(SBOM_JSON))
    vulns = VulnRepository(fed_store)
    vulns.replace_components("tester", "GW-1", read_sbom(json_path), "sbom:bom.json")
    view = load_view(fed_store, catalog, NOW.date())
    cves = {m.cve for m in VulnProducer(fed_store, catalog).matches(view)}
    # dcmtk 3.6.6 by CPE (< 3.6.7) and Mirth Connect 4.3.0 by purl (< 4.4.1, KEV).
    assert {"CVE-2022-2119", "CVE-2022-2120", "CVE-2022-2121", "CVE-2023-43208"} <= cves
    assert "CVE-2022-43272" not in cves
    # A newer SBOM replaces the old one: dcmtk 3.6.7 and Orthanc 1.11.0.
    vulns.replace_components("tester", "GW-1", read_sbom(xml), "sbom:bom.xml")
    cves = {m.cve for m in VulnProducer(fed_store, catalog).matches(view)}
    assert "CVE-2022-43272" in cves and "CVE-2023-33466" in cves
    assert "CVE-2022-2119" not in cves and "CVE-2023-43208" not in cves


def _mds2_workbook(path: Path, answers: dict[str, str]) -> None:
    """A workbook laid out like the MDS2 2019 form: id, question, answer, note."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "MDS2"
    sheet.append(["Manufacturer Disclosure Statement for Medical Device Security -- MDS2"])
    sheet.append(["Question ID", "Question", "", "See note"])
    questions = {
        "DOC-1": "Manufacturer Name",
        "MPII-1": "Does the device display, transmit, store, or modify PII?",
        "MPII-2": "Does the device maintain personally identifiable information?",
        "AUTH-1": "Does the device configuration support user authentication?",
        "RMOT-1": "Does the device permit remote service connections?",
        "STCF-1": "Can the device encrypt data at rest?",
        "TXCF-2": "Is PII encrypted prior to transmission via a network or removable media?",
        "SBOM-1": "Is the SBOM for this product available?",
    }
    for qid, text in questions.items():
        sheet.append([qid, text, answers.get(qid, "Acme Medical"), ""])
    book.save(path)


def test_mds2_answers_become_facts_the_checks_use(
    store: Store, catalog: Catalog, tmp_path: Path
) -> None:
    ct = asset("CT-9", os="", os_version="", services=())
    store.save_inventory(inventory(ct))
    form_path = tmp_path / "mds2.xlsx"
    _mds2_workbook(
        form_path,
        {
            "MPII-1": "Yes",
            "MPII-2": "Yes",
            "AUTH-1": "Yes",
            "RMOT-1": "Yes",
            "STCF-1": "No",
            "TXCF-2": "N/A",
            "SBOM-1": "Yes",
        },
    )
    form = read_mds2(form_path, "CT-9", NOW)
    facts = {o.name: o.value for o in form.observations}
    assert facts == {
        "docs.mds2_on_file": True,
        "phi.stored": True,
        "mds2.encrypts_at_rest": False,
        "mds2.remote_service": True,
        "mds2.user_authentication": True,
        "docs.sbom_on_file": True,
    }
    assert form.answers["TXCF-2"] is None
    store.apply_observations(form.batch())
    run_assessment(store, catalog, now=NOW)
    found = store.findings(FindingFilter(asset_id="CT-9"))
    checks = {f.check_id for f in found}
    assert "urn:imagewarden:check:mds2-phi-without-encryption-at-rest" in checks


def test_mds2_without_question_ids_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    book = Workbook()
    book.save(path)
    with pytest.raises(UserInputError, match="no MDS2 question ids"):
        read_mds2(path, "CT-9", NOW)
    text = tmp_path / "not.xlsx"
    text.write_text("hello")
    with pytest.raises(UserInputError, match=r"not a readable \.xlsx"):
        read_mds2(text, "CT-9", NOW)
