"""Findings from traffic: each check raised on the right subject, and not where it should not."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from imagewarden.app import Workspace, installed_capabilities, open_store
from imagewarden.catalog import Catalog
from imagewarden.model import Finding
from imagewarden.store import Store
from imagewarden.traffic import api
from imagewarden.traffic.producer import (
    CLEARTEXT_HL7,
    CLEARTEXT_IMAGES,
    CLOUD_AI_EGRESS,
    DICOM_INTERNET,
    MOVE_UNKNOWN_DESTINATION,
    UNKNOWN_AE_QUERY,
)
from tests.assessing import run_assessment
from tests.traffic import department as dept

NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)


def _findings(store: Store, catalog: Catalog) -> dict[str, list[Finding]]:
    result = run_assessment(store, catalog, now=NOW)
    found: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.check_id.startswith("urn:imagewarden:check:traffic-"):
            found.setdefault(finding.check_id, []).append(finding)
    return found


@pytest.fixture
def store(tmp_path: Path, catalog: Catalog) -> Store:
    store = open_store(str(tmp_path / "iw.db"), create=True)
    store.save_inventory(dept.department())
    workspace = Workspace(store, catalog, installed_capabilities())
    api.apply(workspace, dept.batch(), now=NOW)
    return store


def test_each_check_on_its_subject(store: Store, catalog: Catalog) -> None:
    found = _findings(store, catalog)
    subjects = {check: sorted(f.subject_id for f in fs) for check, fs in found.items()}
    assert subjects == {
        CLEARTEXT_IMAGES: ["PACS-1:dicom/104"],  # CT-1 -> PACS-1 crosses segments; CT -> MR not
        DICOM_INTERNET: ["PACS-1"],
        UNKNOWN_AE_QUERY: ["PACS-1:dicom/104"],
        MOVE_UNKNOWN_DESTINATION: ["PACS-1:dicom/104"],
        CLOUD_AI_EGRESS: ["AI-CLOUD"],
        CLEARTEXT_HL7: ["PACS-1:hl7/2575"],
    }


def test_evidence_names_hosts_titles_and_counts(store: Store, catalog: Catalog) -> None:
    found = _findings(store, catalog)
    (images,) = found[CLEARTEXT_IMAGES]
    assert images.evidence["traffic.images_in_clear"] == 20
    assert images.evidence["traffic.senders"] == "10.20.120.11"
    assert images.evidence["traffic.segments"] == "NTH-IMG-120 -> NTH-SRV-125"
    assert images.evidence["traffic.sender_ae_titles"] == "CT1"
    (query,) = found[UNKNOWN_AE_QUERY]
    assert query.evidence["traffic.unknown_calling_ae_titles"] == "ROGUE"
    assert query.evidence["traffic.requests"] == 6
    assert query.evidence["traffic.clients"] == dept.ROGUE
    (move,) = found[MOVE_UNKNOWN_DESTINATION]
    assert move.evidence["traffic.unknown_move_destinations"] == "EXFIL"
    (internet,) = found[DICOM_INTERNET]
    assert internet.evidence["traffic.internet_peers"] == dept.TELERAD
    assert internet.evidence["traffic.encryption"] == "clear text"
    (cloud,) = found[CLOUD_AI_EGRESS]
    assert cloud.evidence["traffic.server_names"] == "ai.vendor.example"
    (hl7,) = found[CLEARTEXT_HL7]
    assert hl7.evidence["traffic.hl7_messages"] == 24
    for findings in found.values():
        for finding in findings:
            assert finding.risk.score > 0 and finding.safeguards


def test_unknown_segment_is_not_taken_for_the_same_segment(
    tmp_path: Path, catalog: Catalog
) -> None:
    """An empty fact never suppresses a check: a sender with no segment still counts."""
    store = open_store(str(tmp_path / "iw.db"), create=True)
    inventory = dept.department()
    ct = next(a for a in inventory.assets if a.id == "MR-1")
    assets = tuple(
        dataclasses.replace(a, segment="") if a.id == ct.id else a for a in inventory.assets
    )
    store.save_inventory(dataclasses.replace(inventory, assets=assets))
    workspace = Workspace(store, catalog, installed_capabilities())
    ct_to_mr = dataclasses.replace(dept.flows()[7])  # CT-1 -> MR-1, MR-1 has no segment now
    api.apply(workspace, dept.batch((ct_to_mr,)), now=NOW)
    found = _findings(store, catalog)
    (finding,) = found[CLEARTEXT_IMAGES]
    assert finding.subject_id == "MR-1:dicom/104"
    assert finding.evidence["traffic.segments"] == "NTH-IMG-120 -> unknown segment"


def test_no_traffic_no_producer(tmp_path: Path, catalog: Catalog) -> None:
    store = open_store(str(tmp_path / "iw.db"), create=True)
    store.save_inventory(dept.department())
    assert _findings(store, catalog) == {}
