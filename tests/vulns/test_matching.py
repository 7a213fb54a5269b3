"""Expected matches, written by hand from the real NVD records, CSAF advisories and CVE
descriptions in shared/data, for a test inventory with boundary versions on both sides."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.catalog import Catalog
from imagewarden.model import AssetType
from imagewarden.vulns.interface import VulnMatch
from tests.factories import fact
from tests.vulns.inventories import device, matches_against_shared_feeds

ASSETS = (
    device("ORTHANC-156", "Orthanc", "Orthanc Server", "1.5.6"),
    device("ORTHANC-158", "Orthanc", "Orthanc Server", "1.5.8"),
    device("ORTHANC-1120", "Orthanc", "Orthanc Server", "1.12.0"),
    device("MIRTH-440", "NextGen Healthcare", "Mirth Connect", "4.4.0"),
    device("MIRTH-441", "NextGen Healthcare", "Mirth Connect", "4.4.1"),
    device("DCMTK-366", "OFFIS", "DCMTK", "3.6.6"),
    device("DCMTK-367", "OFFIS", "DCMTK", "3.6.7"),
    device("DCMTK-DEV", "OFFIS", "DCMTK", "3.6.9+ DEV"),
    device("ACME-VIEWER", "Acme Imaging", "DICOM Viewer", "2023.1", type=AssetType.VIEWER),
    device("MICRODICOM", "MicroDicom", "MicroDicom DICOM Viewer", "2023.3"),
    device("OSIMIS", "Osimis", "Osimis Web Viewer", "1.4.2.0-9d9eff4"),
    device("VUE-UNKNOWN", "Philips", "Vue PACS", ""),
    device("VUE-12-2-8-410", "Philips Healthcare", "Vue PACS", "12.2.8.410"),
    device(
        "WIN7-SMB1",
        "Siemens Healthineers",
        "Symbia T",
        "VA60A",
        os="Windows 7",
        os_version="SP1",
        type=AssetType.NM,
    ),
    device(
        "WIN7-NO-SMB1",
        "Siemens Healthineers",
        "Symbia T",
        "VA60A",
        os="Windows 7",
        os_version="SP1",
        type=AssetType.NM,
    ),
    device("SANTE-VIEWER", "Santesoft", "Sante DICOM Viewer Pro", "12.2.6"),
)
OBSERVATIONS = (
    fact("WIN7-SMB1", "smb.v1_enabled", True),
    fact("WIN7-NO-SMB1", "smb.v1_enabled", False),
)

# (asset, CVE) -> confidence. Source of each expectation in the comment.
EXPECTED: dict[str, dict[str, str]] = {
    # NVD: orthanc-server:orthanc versionEndExcluding 1.12.0; description of CVE-2025-0896:
    # "Orthanc server prior to version 1.5.8" (no CPE configuration).
    "ORTHANC-156": {"CVE-2023-33466": "confirmed", "CVE-2025-0896": "probable"},
    "ORTHANC-158": {"CVE-2023-33466": "confirmed"},
    "ORTHANC-1120": {},
    # NVD: nextgen:mirth_connect versionEndExcluding 4.4.1 (KEV).
    "MIRTH-440": {"CVE-2023-43208": "confirmed"},
    "MIRTH-441": {},
    # NVD: offis:dcmtk < 3.6.7 (2022-2119/2120/2121), = 3.6.7 (2022-43272), = 3.6.8 (2024-47796);
    # descriptions: "DCMTK before 3.6.9" (2024-34508/34509), "OFFIS DCMTK 3.6.8" (2024-28130,
    # 2024-52333), "DCMTK git master v3.6.9+ DEV" reads ">= 3.6.9" (2025-25472), like the
    # same phrase anywhere else: a build at or after 3.6.9.
    "DCMTK-366": {
        "CVE-2022-2119": "confirmed",
        "CVE-2022-2120": "confirmed",
        "CVE-2022-2121": "confirmed",
        "CVE-2024-34508": "probable",
        "CVE-2024-34509": "probable",
    },
    "DCMTK-367": {
        "CVE-2022-43272": "confirmed",
        "CVE-2024-34508": "probable",
        "CVE-2024-34509": "probable",
    },
    # An asset at "3.6.9+ DEV" is at or after 3.6.9: nothing fixed by 3.6.9 or only in 3.6.7
    # or 3.6.8 applies; the 3.6.9+ DEV description does, with the build unknown (possible).
    "DCMTK-DEV": {"CVE-2025-25472": "possible"},
    # Same product name as microdicom:dicom_viewer, another vendor: nothing.
    "ACME-VIEWER": {},
    # NVD: microdicom:dicom_viewer < 2024.1 (2024-22100, 2024-25578), < 2024.2 (2024-28877,
    # 2024-33606); description "version 2024.03" only (2025-1002: not 2023.3); descriptions
    # without versions (2025-35975, 2025-5943).
    "MICRODICOM": {
        "CVE-2024-22100": "confirmed",
        "CVE-2024-25578": "confirmed",
        "CVE-2024-28877": "confirmed",
        "CVE-2024-33606": "confirmed",
        "CVE-2025-35975": "possible",
        "CVE-2025-5943": "possible",
    },
    # CSAF ICSMA-24-023-01: Orthanc Osimis WebViewer 1.4.2.0-9d9eff4 (NVD has no CPE).
    "OSIMIS": {"CVE-2023-7238": "confirmed"},
    # NVD: philips:vue_pacs < 12.2.8.410 (2023-40159/40539/40704) and < 12.2.8.0 (2021-33020);
    # no version recorded -> probable. CSAF ICSMA-24-200-01 adds the third-party CVEs of
    # Vue PACS < 12.2.8.410 (checked separately below).
    "VUE-12-2-8-410": {},
    # NVD CVE-2017-0144: microsoft:server_message_block 1.0 AND windows_7 sp1 (platform).
    "WIN7-SMB1": {"CVE-2017-0144": "confirmed"},
    "WIN7-NO-SMB1": {},
    # NVD: santesoft:dicom_viewer_pro < 12.2.6 (2023-39431): 12.2.6 is fixed. CVE-2024-1453
    # has no CPE; CSAF ICSMA-24-058-01 lists Sante DICOM Viewer Pro <= 14.0.3 (confirmed,
    # stronger than its description's "versions 14.0.3 and prior").
    "SANTE-VIEWER": {"CVE-2024-1453": "confirmed"},
}


@pytest.fixture(scope="module")
def found(
    tmp_path_factory: pytest.TempPathFactory, catalog: Catalog, shared: Path
) -> list[VulnMatch]:
    """Every match of the test inventory against all shared feeds (built once)."""
    db = tmp_path_factory.mktemp("matching") / "db.sqlite"
    return matches_against_shared_feeds(db, catalog, shared, ASSETS, OBSERVATIONS)


@pytest.fixture
def matches(found: list[VulnMatch]) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {a.id: {} for a in ASSETS}
    for m in found:
        result[m.asset_id][m.cve] = m.confidence.value
    return result


@pytest.mark.parametrize("asset_id", sorted(EXPECTED))
def test_matches_written_by_hand(matches: dict[str, dict[str, str]], asset_id: str) -> None:
    assert matches[asset_id] == EXPECTED[asset_id]


def test_unknown_version_is_probable_and_advisory_cves_are_added(
    matches: dict[str, dict[str, str]],
) -> None:
    vue = matches["VUE-UNKNOWN"]
    for cve in ("CVE-2023-40159", "CVE-2023-40539", "CVE-2023-40704", "CVE-2021-33020"):
        assert vue[cve] == "probable"
    # Third-party CVEs listed only by the CSAF product tree: version unknown -> probable,
    # the same level as a CPE range with the version unknown.
    assert vue["CVE-2021-28165"] == "probable"
    assert "CVE-2023-43208" not in vue


def test_every_match_explains_itself(found: list[VulnMatch]) -> None:
    reasons = {(m.asset_id, m.cve): m.reason for m in found}
    assert reasons[("MIRTH-440", "CVE-2023-43208")] == (
        "NVD CPE nextgen:mirth_connect < 4.4.1 (asset model Mirth Connect, version 4.4.0)"
    )
    assert "CSAF ICSMA-24-023-01" in reasons[("OSIMIS", "CVE-2023-7238")]
    assert reasons[("ORTHANC-156", "CVE-2025-0896")].startswith("description names Orthanc")
    smb = reasons[("WIN7-SMB1", "CVE-2017-0144")]
    assert "server_message_block 1.0" in smb and "windows_7" in smb
