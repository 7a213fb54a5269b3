"""Version comparison across vendor schemes, CPE parsing and version text in prose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagewarden.model.versions import compare, in_range, read_version
from imagewarden.vulns.cpe import parse_cpe
from imagewarden.vulns.feeds.csaf import version_spec
from imagewarden.vulns.names import version_after_name, version_from_text


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("3.6.7", "3.6.7", 0),
        ("3.6.6", "3.6.7", -1),
        ("3.6.10", "3.6.9", 1),
        ("12.2.8", "12.2.8.410", -1),
        ("12.2.8.0", "12.2.8", 0),
        ("1.12.3-1", "1.12.3", 1),
        ("1.12.3-1", "1.12.3-2", -1),
        ("VA20A", "VA20B", -1),
        ("VA20A", "VB10", -1),
        ("syngo CT VB20A", "VB20A", 0),
        ("2.4.1 SP2", "2.4.1 SP1", 1),
        ("2.4.1 SP2", "2.4.1", 1),
        ("4.0e", "4.0", 1),
        ("4.0", "4.0e", -1),
        ("2.0.0-rc.1", "2.0.0", -1),
        ("v1.5.8", "1.5.8", 0),
        ("2024.03", "2024.3", 0),
        ("enCORE 15", "16", -1),
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert compare(a, b) == expected
    assert compare(b, a) == -expected


def test_ranges_include_and_exclude_their_bounds() -> None:
    assert in_range("4.0", start_including="4.0", end_excluding="4.0e")
    assert not in_range("4.0e", start_including="4.0", end_excluding="4.0e")
    assert not in_range("3.9", start_including="4.0")
    assert not in_range("4.0", start_excluding="4.0")
    assert in_range("11.2", end_including="11.2")
    assert not in_range("11.2.1", end_including="11.2")


def test_cpe_parsing_keeps_escaped_colons_and_lowercases() -> None:
    cpe = parse_cpe(r"cpe:2.3:a:Orthanc-Server:orthanc\:web:1.5.6:*:*:*:*:*:*:*")
    assert (cpe.part, cpe.vendor, cpe.product, cpe.version) == (
        "a",
        "orthanc-server",
        "orthanc:web",
        "1.5.6",
    )
    with pytest.raises(ValueError, match="13 fields"):
        parse_cpe("cpe:2.3:a:nextgen:mirth_connect")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Orthanc server prior to version 1.5.8 does not enable", ("<", "1.5.8")),
        ("dcmnet in DCMTK before 3.6.9 has a segmentation fault", ("<", "3.6.9")),
        ("In Sante DICOM Viewer Pro versions 14.0.3 and prior, a user", ("<=", "14.0.3")),
        ("MicroDicom DICOM Viewer version 2024.03 fails", ("=", "2024.03")),
        ("Weak account password in GE HealthCare EchoPAC products", ("", "")),
    ],
)
def test_versions_stated_in_descriptions(text: str, expected: tuple[str, str]) -> None:
    assert version_from_text(text) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("vers:all/*", [("", "")]),
        ("<1.5.8", [("<", "1.5.8")]),
        ("<=11.2 on Windows 8.1 with IIS 7.5", [("<=", "11.2")]),
        (">= 4.0 | <= 4.6", [("range", "4.0|4.6")]),
        ("HD 16 | HD23", [("=", "HD 16"), ("=", "HD23")]),
        ("with wireless option (shipped between 2016-August 2018)", [("", "")]),
    ],
)
def test_csaf_version_specs(spec: str, expected: list[tuple[str, str]]) -> None:
    assert version_spec(spec) == expected


def test_one_reading_of_a_version_phrase_everywhere(shared: Path) -> None:
    """ "3.6.9+ DEV" is a build at or after 3.6.9 in a description (NVD CVE-2025-25472, its
    real text), after a product name, after "version", and in a CSAF product version."""
    record = json.loads((shared / "nvd" / "CVE-2025-25472.json").read_text())
    cve = record["vulnerabilities"][0]["cve"] if "vulnerabilities" in record else record
    description = cve["descriptions"][0]["value"]
    assert "v3.6.9+ DEV" in description
    expected = (">=", "3.6.9")
    assert read_version("3.6.9+ DEV") == expected
    assert version_from_text(description) == expected
    assert version_from_text("OFFIS DCMTK version 3.6.9+ DEV crashes") == expected
    assert version_after_name("DCMTK", "OFFIS DCMTK v3.6.9+ DEV crashes") == expected
    assert version_spec("3.6.9+ DEV") == [expected]
    assert version_spec("3.6.9 and later") == [expected]
