"""The confidence rules of docs/vulnerabilities.md ("Confidence"), each shown on real NVD and
CSAF records from shared/data: unknown facts lower a match and never suppress it, a sibling
model of a family is only "possible", and every level means the same in every source."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from imagewarden.catalog import Catalog
from imagewarden.model import AssetType, Observation
from imagewarden.vulns.interface import VulnMatch
from tests.factories import fact
from tests.vulns.inventories import device, matches_against_shared_feeds

_asset = functools.partial(device, type=AssetType.CT)
"""The devices here are CTs unless they say otherwise."""


ASSETS = (
    # EternalBlue (CVE-2017-0144): microsoft:server_message_block 1.0 AND a Windows platform.
    _asset(
        "WIN7-SMB-UNKNOWN",
        "Siemens Healthineers",
        "Symbia T",
        "VA60A",
        os="Windows 7",
        os_version="SP1",
        type=AssetType.NM,
    ),
    _asset(
        "W2008R2-SMB-UNKNOWN",
        "Acme Imaging",
        "Archive",
        "1.0",
        os="Windows Server 2008 R2",
        os_version="SP1",
        type=AssetType.PACS,
    ),
    _asset(
        "WIN7-SMB-OFF",
        "Siemens Healthineers",
        "Symbia T",
        "VA60A",
        os="Windows 7",
        os_version="SP1",
        type=AssetType.NM,
    ),
    _asset(
        "WIN7-SMB-ON",
        "Siemens Healthineers",
        "Symbia T",
        "VA60A",
        os="Windows 7",
        os_version="SP1",
        type=AssetType.NM,
    ),
    _asset("SMB-ON-OS-UNKNOWN", "Acme Imaging", "Archive", "1.0", type=AssetType.PACS),
    _asset("SMB-ON-LINUX", "Acme Imaging", "Archive", "1.0", os="Ubuntu", os_version="22.04"),
    # CVE-2018-8853: one AND configuration per Brilliance model, each with its own range:
    # brilliance_ict_sp_firmware <= 3.2.4, brilliance_ict_firmware <= 4.1.6,
    # brilliance_firmware_64 <= 2.6.2, _brilliance_ct_big_bore_firmware <= 2.3.5.
    _asset("ICT-SP-324", "Philips", "Brilliance iCT SP", "3.2.4"),
    _asset("ICT-SP-325", "Philips", "Brilliance iCT SP", "3.2.5"),
    _asset("B64-262", "Philips", "Brilliance 64", "2.6.2"),
    _asset("FAMILY-ONLY", "Philips", "Brilliance CT", "2.0"),
    _asset("ICT-SP-BLANK", "Philips", "Brilliance iCT SP", ""),
    # CSAF ICSMA-20-343-01 lists GE "Revolution EVO" (all versions) among 107 products, not
    # the Revolution Apex, another model of the dictionary's Revolution CT family.
    _asset("REVOLUTION-EVO", "GE Healthcare", "Revolution EVO", "", type=AssetType.CT),
    _asset("REVOLUTION-APEX", "GE Healthcare", "Revolution Apex", "", type=AssetType.CT),
    # CSAF ICSMA-24-023-01: Orthanc Osimis WebViewer 1.4.2.0-9d9eff4 (NVD has no CPE).
    _asset("OSIMIS-BLANK", "Osimis", "Osimis Web Viewer", "", type=AssetType.VIEWER),
)
OBSERVATIONS: tuple[Observation, ...] = (
    fact("WIN7-SMB-OFF", "smb.v1_enabled", False),
    fact("WIN7-SMB-ON", "smb.v1_enabled", True),
    fact("SMB-ON-OS-UNKNOWN", "smb.v1_enabled", True),
    fact("SMB-ON-LINUX", "smb.v1_enabled", True),
)


@pytest.fixture(scope="module")
def found(
    tmp_path_factory: pytest.TempPathFactory, catalog: Catalog, shared: Path
) -> dict[tuple[str, str], VulnMatch]:
    db = tmp_path_factory.mktemp("confidence") / "db.sqlite"
    found = matches_against_shared_feeds(db, catalog, shared, ASSETS, OBSERVATIONS)
    return {(m.asset_id, m.cve): m for m in found}


@pytest.mark.parametrize("asset_id", ["WIN7-SMB-UNKNOWN", "W2008R2-SMB-UNKNOWN"])
def test_unknown_smbv1_lowers_eternalblue_instead_of_hiding_it(
    found: dict[tuple[str, str], VulnMatch], asset_id: str
) -> None:
    match = found[(asset_id, "CVE-2017-0144")]
    assert match.confidence.value == "probable"
    assert "smb.v1_enabled unknown" in match.reason


def test_known_smbv1_state_decides_eternalblue(found: dict[tuple[str, str], VulnMatch]) -> None:
    assert found[("WIN7-SMB-ON", "CVE-2017-0144")].confidence.value == "confirmed"
    assert ("WIN7-SMB-OFF", "CVE-2017-0144") not in found


def test_unknown_platform_does_not_hide_eternalblue(
    found: dict[tuple[str, str], VulnMatch],
) -> None:
    # SMBv1 on, OS left empty: the Windows platform node is assumed, at a lower confidence.
    match = found[("SMB-ON-OS-UNKNOWN", "CVE-2017-0144")]
    assert match.confidence.value == "probable"
    assert "asset.os unknown" in match.reason
    # A known non-Windows OS is a "no".
    assert ("SMB-ON-LINUX", "CVE-2017-0144") not in found


def test_own_model_and_its_range_confirm(found: dict[tuple[str, str], VulnMatch]) -> None:
    match = found[("ICT-SP-324", "CVE-2018-8853")]
    assert match.confidence.value == "confirmed"
    assert "brilliance_ict_sp_firmware <= 3.2.4" in match.reason
    assert "asset model Brilliance iCT SP, version 3.2.4" in match.reason
    # NVD spells this one brilliance_firmware_64: the asset's own model, matched.
    assert found[("B64-262", "CVE-2018-8853")].confidence.value == "confirmed"


def test_sibling_model_range_is_only_possible_and_says_so(
    found: dict[tuple[str, str], VulnMatch],
) -> None:
    # 3.2.5 is past the iCT SP's own range; only the iCT's (<= 4.1.6) covers it.
    match = found[("ICT-SP-325", "CVE-2018-8853")]
    assert match.confidence.value == "possible"
    assert "family match only" in match.reason and "brilliance_ict" in match.reason
    family = found[("FAMILY-ONLY", "CVE-2018-8853")]
    assert family.confidence.value == "possible"
    assert "Brilliance CT family" in family.reason


def test_an_advisory_naming_a_sibling_model_is_only_possible(
    found: dict[tuple[str, str], VulnMatch],
) -> None:
    own = found[("REVOLUTION-EVO", "CVE-2020-25175")]
    assert own.confidence.value == "probable"  # product tree without a version range
    assert "CSAF ICSMA-20-343-01" in own.reason and "family match only" not in own.reason
    sibling = found[("REVOLUTION-APEX", "CVE-2020-25175")]
    assert sibling.confidence.value == "possible"
    assert "family match only: it names revolution evo" in sibling.reason


def test_blank_version_against_a_range_is_probable_in_every_source(
    found: dict[tuple[str, str], VulnMatch],
) -> None:
    # NVD CPE range, asset version blank.
    cpe = found[("ICT-SP-BLANK", "CVE-2018-8853")]
    assert cpe.confidence.value == "probable"
    # CSAF product tree with a version, asset version blank: the same level.
    csaf = found[("OSIMIS-BLANK", "CVE-2023-7238")]
    assert csaf.confidence.value == "probable"
    assert "CSAF ICSMA-24-023-01" in csaf.reason and "asset version unknown" in csaf.reason
