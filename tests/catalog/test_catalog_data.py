"""Behaviour of the shipped catalog data: it loads, cross-references hold, the required checks
exist, lookups return the real dates and vendors, and validation catches the mistakes an
editor of the YAML is likely to make."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from imagewarden.catalog import Catalog, default_catalog_dir, load_catalog, validate_catalog
from imagewarden.model import FACTS, SubjectKind
from imagewarden.model.enums import DefenseLayer, SafeguardType

CHECK = "urn:imagewarden:check:"
SAFEGUARD = "urn:imagewarden:safeguard:"

# Every check the product promises (deliverable list of the catalog); URNs never change.
REQUIRED_CHECKS = [
    "os-end-of-life",
    "os-end-of-support-within-12-months",
    "os-not-recorded",
    "device-end-of-support",
    "device-end-of-support-within-12-months",
    "missing-vendor-patches",
    "no-patch-in-12-months",
    "no-antimalware-no-allowlisting",
    "smbv1-enabled",
    "legacy-os-on-shared-network",
    "dicom-no-tls",
    "dicom-internet-exposed",
    "service-internet-exposed",
    "asset-internet-exposed",
    "cleartext-admin-telnet-ftp",
    "http-admin-without-tls",
    "service-without-authentication",
    "hl7-no-tls",
    "dicomweb-no-tls",
    "dicom-any-called-ae",
    "dicom-unknown-calling-ae",
    "phi-unencrypted-at-rest",
    "no-backup-coverage",
    "archive-without-backup",
    "archive-without-immutable-backup",
    "backup-restore-not-tested-12-months",
    "vendor-remote-access-always-on",
    "vendor-remote-access-shared-account",
    "vendor-remote-access-without-mfa",
    "vendor-remote-access-not-logged",
    "vendor-without-baa",
    "no-mds2-on-file",
    "no-sbom-on-file",
    "modality-on-shared-segment",
    "archive-on-shared-segment",
    "network-zone-unknown",
    "default-credentials",
    "shared-user-accounts",
    "no-auto-logoff",
    "no-central-logging",
    "ai-sends-identifiable-images",
    "ai-without-downtime-fallback",
    "single-vendor-critical-cloud",
    "cloud-without-exit-plan",
    "removable-media-import-unchecked",
    "asset-without-owner",
    "unmanaged-asset",
    "unknown-vendor",
    "site-no-imaging-downtime-plan",
    "site-no-imaging-ir-playbook",
    "site-downtime-drill-overdue",
    "site-archive-without-immutable-backup",
]

READABLE = {
    SubjectKind.SITE: {SubjectKind.SITE},
    SubjectKind.ASSET: {SubjectKind.ASSET, SubjectKind.SITE},
    SubjectKind.SERVICE: {SubjectKind.SERVICE, SubjectKind.ASSET, SubjectKind.SITE},
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# --- the shipped catalog -------------------------------------------------------------------


def test_shipped_catalog_has_no_problems(catalog: Catalog) -> None:
    assert [str(p) for p in validate_catalog(catalog)] == []


def test_catalog_size(catalog: Catalog) -> None:
    assert len(catalog.checks) >= 40
    assert len(catalog.safeguards) >= 60


@pytest.mark.parametrize("name", REQUIRED_CHECKS)
def test_required_check_exists(catalog: Catalog, name: str) -> None:
    assert CHECK + name in catalog.checks


def test_site_checks_are_site_checks(catalog: Catalog) -> None:
    for name in (
        "single-vendor-critical-cloud",
        "site-no-imaging-downtime-plan",
        "site-no-imaging-ir-playbook",
        "site-downtime-drill-overdue",
        "site-archive-without-immutable-backup",
    ):
        assert catalog.checks[CHECK + name].applies_to.subject is SubjectKind.SITE


def test_dicom_checks_apply_to_dicom_services(catalog: Catalog) -> None:
    for name in ("dicom-no-tls", "dicom-any-called-ae", "dicom-unknown-calling-ae"):
        applies = catalog.checks[CHECK + name].applies_to
        assert applies.subject is SubjectKind.SERVICE
        assert [p.value for p in applies.protocols] == ["dicom"]


def test_critical_severity_is_reserved_for_few_checks(catalog: Catalog) -> None:
    critical = {c.id for c in catalog.checks.values() if c.severity.value == "critical"}
    assert CHECK + "legacy-os-on-shared-network" in critical
    assert CHECK + "default-credentials" in critical
    assert len(critical) <= len(catalog.checks) // 10


def test_checks_have_plain_explanation_and_evidence_their_subject_can_show(
    catalog: Catalog,
) -> None:
    for check in catalog.checks.values():
        assert 20 <= len(check.why) <= 400, check.id
        assert 1 <= len(check.safeguards) <= 4, check.id
        for fact in check.evidence:
            assert FACTS[fact].subject in READABLE[check.applies_to.subject], (check.id, fact)


def test_every_safeguard_cites_nist_csf(catalog: Catalog) -> None:
    missing = [
        s.id
        for s in catalog.safeguards.values()
        if not any(r.framework == "nist-csf-2.0" for r in s.refs)
    ]
    assert missing == []


def test_every_safeguard_type_and_layer_is_used(catalog: Catalog) -> None:
    types = {s.type for s in catalog.safeguards.values()}
    layers = [s.layer for s in catalog.safeguards.values()]
    assert types == set(SafeguardType)
    for layer in DefenseLayer:
        assert layers.count(layer) >= 4, layer
    kinds = [s.type for s in catalog.safeguards.values()]
    assert kinds.count(SafeguardType.PHYSICAL) >= 8
    assert kinds.count(SafeguardType.ADMINISTRATIVE) >= 15


def test_hicp_references_state_their_edition(catalog: Catalog) -> None:
    entries = [*catalog.checks.values(), *catalog.safeguards.values()]
    for entry in entries:
        for ref in entry.refs:
            if ref.framework == "hicp":
                assert ref.edition == "2019", entry.id


# --- frameworks ----------------------------------------------------------------------------


def test_nist_csf_lists_all_106_subcategories(catalog: Catalog) -> None:
    ids = [r.id for r in catalog.frameworks["nist-csf-2.0"].requirements]
    assert len(ids) == len(set(ids)) == 106
    per_category: dict[str, list[str]] = {}
    for rid in ids:
        category, number = rid.split("-")
        per_category.setdefault(category, []).append(number)
    assert len(per_category) == 22
    # Withdrawn numbers are not reused: the gaps are part of the framework.
    assert per_category["ID.AM"] == ["01", "02", "03", "04", "05", "07", "08"]
    assert per_category["PR.DS"] == ["01", "02", "10", "11"]
    assert per_category["DE.CM"] == ["01", "02", "03", "06", "09"]
    assert per_category["DE.AE"] == ["02", "03", "04", "06", "07", "08"]
    assert per_category["RS.AN"] == ["03", "06", "07", "08"]
    assert per_category["RC.CO"] == ["03", "04"]
    functions = {
        f: sum(1 for i in ids if i.startswith(f)) for f in ("GV", "ID", "PR", "DE", "RS", "RC")
    }
    assert functions == {"GV": 31, "ID": 21, "PR": 22, "DE": 11, "RS": 13, "RC": 8}


def test_hipaa_security_rule_has_18_standards_and_36_specifications(catalog: Catalog) -> None:
    requirements = catalog.frameworks["hipaa-security-rule"].requirements
    core = [r for r in requirements if r.id.startswith(("164.308", "164.310", "164.312"))]
    assert sum(r.title.endswith("(standard)") for r in core) == 18
    assert sum(r.title.endswith(("(R)", "(A)")) for r in core) == 36
    titles = {r.id: r.title for r in requirements}
    assert titles["164.308(a)(7)(ii)(A)"].startswith("Data backup plan")
    assert titles["164.312(e)(2)(ii)"].startswith("Encryption")
    assert titles["164.312(a)(2)(iv)"].startswith("Encryption and decryption")
    assert titles["164.310(d)(2)(iv)"].startswith("Data backup and storage")


def test_hph_cpg_has_ten_essential_and_ten_enhanced_goals(catalog: Catalog) -> None:
    ids = [r.id for r in catalog.frameworks["hph-cpg"].requirements]
    assert sum(i.startswith("essential-") for i in ids) == 10
    assert sum(i.startswith("enhanced-") for i in ids) == 10
    assert "essential-mitigate-known-vulnerabilities" in ids
    assert "enhanced-network-segmentation" in ids


def test_frameworks_name_their_source(catalog: Catalog) -> None:
    assert set(catalog.frameworks) == {
        "nist-csf-2.0",
        "hicp",
        "hipaa-security-rule",
        "hph-cpg",
        "hipaa-nprm-2025",  # governance: the proposed HIPAA rule, cited by checklists
    }
    for framework in catalog.frameworks.values():
        assert "https://" in framework.source, framework.id


# --- OS lifecycle --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "canonical", "end"),
    [
        ("Microsoft Windows 7 Professional", "SP1", "Windows 7", dt.date(2020, 1, 14)),
        ("Windows XP Embedded", "", "Windows XP Embedded", dt.date(2016, 1, 12)),
        ("Microsoft Windows XP Professional", "", "Windows XP", dt.date(2014, 4, 8)),
        ("Windows Server 2008 R2", "", "Windows Server 2008 R2", dt.date(2020, 1, 14)),
        ("W2K8R2", "", "Windows Server 2008 R2", dt.date(2020, 1, 14)),
        ("Server 2012 R2", "", "Windows Server 2012 R2", dt.date(2023, 10, 10)),
        ("CentOS Linux 7", "", "CentOS 7", dt.date(2024, 6, 30)),
        ("Windows 10", "22H2", "Windows 10 22H2", dt.date(2025, 10, 14)),
        ("Windows 10", "", "Windows 10", dt.date(2025, 10, 14)),
        (
            "Windows 10 Enterprise LTSC",
            "2019",
            "Windows 10 Enterprise LTSC 2019",
            dt.date(2029, 1, 9),
        ),
        ("Windows Embedded Standard 7", "", "Windows Embedded Standard 7", dt.date(2020, 10, 13)),
        ("Windows Server 2016", "", "Windows Server 2016", dt.date(2027, 1, 12)),
        ("Ubuntu 18.04 LTS", "", "Ubuntu 18.04", dt.date(2023, 5, 31)),
        ("Red Hat Enterprise Linux", "7", "RHEL 7", dt.date(2024, 6, 30)),
    ],
)
def test_os_lookup_returns_vendor_date(
    catalog: Catalog, name: str, version: str, canonical: str, end: dt.date
) -> None:
    row = catalog.os_table.lookup(name, version)
    assert row is not None, (name, version)
    assert (row.name, row.end_of_support) == (canonical, end)


def test_specific_release_wins_over_family_row(catalog: Catalog) -> None:
    row = catalog.os_table.lookup("Windows 10 Enterprise", "1809")
    assert row is not None
    assert row.end_of_support == dt.date(2021, 5, 11)


def test_unknown_os_is_not_guessed(catalog: Catalog) -> None:
    assert catalog.os_table.lookup("Windows 12") is None
    assert catalog.os_table.lookup("") is None


def test_every_os_spelling_resolves_to_its_own_row(catalog: Catalog) -> None:
    # Catches two rows sharing a spelling once case, punctuation and "Microsoft" are ignored.
    for row in catalog.os_table.rows:
        for spelling in (row.name, *row.aliases):
            found = catalog.os_table.lookup(spelling)
            assert found is not None and found.name == row.name, spelling


def test_os_rows_cite_a_source_and_order_their_dates(catalog: Catalog) -> None:
    for row in catalog.os_table.rows:
        assert re.search(r"https?://", row.source), row.name
        if row.extended_support_end is not None:
            assert row.extended_support_end > row.end_of_support, row.name


def test_windows_support_ends_on_a_patch_tuesday(catalog: Catalog) -> None:
    for row in catalog.os_table.rows:
        if row.family != "windows":
            continue
        for day in (row.end_of_support, row.extended_support_end):
            if day is not None:
                assert day.weekday() == 1 and 8 <= day.day <= 14, (row.name, day)


# --- product dictionary --------------------------------------------------------------------


def test_ge_spellings_are_one_vendor(catalog: Catalog) -> None:
    vendors = {catalog.products.vendor(s) for s in ("GE Healthcare", "GE HealthCare", "GEHC")}
    assert len(vendors) == 1
    entry = vendors.pop()
    assert entry is not None and entry.vendor == "GE HealthCare"


def test_siemens_and_philips_stay_apart(catalog: Catalog) -> None:
    siemens = catalog.products.vendor("Siemens")
    philips = catalog.products.vendor("Philips")
    assert siemens is not None and philips is not None
    assert siemens.vendor != philips.vendor
    assert catalog.products.vendor("Siemens Healthcare GmbH") is siemens
    assert catalog.products.vendor("Phillips") is philips  # spelling used in a CISA advisory


def test_predecessor_names_map_to_current_vendor(catalog: Catalog) -> None:
    toshiba = catalog.products.vendor("Toshiba Medical Systems Corporation")
    bomgar = catalog.products.vendor("Bomgar")
    assert toshiba is not None and toshiba.vendor == "Canon Medical Systems"
    assert bomgar is not None and bomgar.vendor == "BeyondTrust"


def test_normalise_vendor_and_model(catalog: Catalog) -> None:
    product = catalog.products.normalise("GE Medical Systems, LLC", "discovery mr750")
    assert (product.vendor, product.model, product.model_known) == (
        "GE HealthCare",
        "Discovery MR750",
        True,
    )
    unknown = catalog.products.normalise("Acme Imaging", "X1 ")
    assert (unknown.vendor, unknown.model, unknown.vendor_known) == ("Acme Imaging", "X1", False)


def test_product_dictionary_is_broad_and_unambiguous(catalog: Catalog) -> None:
    from imagewarden.catalog.products import alias_key

    assert len(catalog.products.entries) >= 25
    assert catalog.products.collisions == []
    for entry in catalog.products.entries:
        seen: dict[str, str] = {}
        for product in entry.products:
            for spelling in (product.name, *product.aliases):
                key = alias_key(spelling)
                assert seen.setdefault(key, product.name) == product.name, (entry.vendor, spelling)
        for cpe in (*entry.cpe_vendors, *(c for p in entry.products for c in p.cpe_products)):
            assert re.fullmatch(r"[a-z0-9_.\-]+", cpe), (entry.vendor, cpe)


# --- validation of a broken copy -----------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(default_catalog_dir(), root)
    return root


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _entry(entries: list[dict[str, Any]], entry_id: str) -> dict[str, Any]:
    return next(e for e in entries if e.get("id") == entry_id)


def _messages(root: Path) -> list[str]:
    return [str(p) for p in validate_catalog(load_catalog(root))]


def test_copied_catalog_is_valid(tmp_path: Path) -> None:
    assert _messages(_copy(tmp_path)) == []


def test_unknown_safeguard_reference_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        root / "checks" / "dicom.yaml",
        lambda d: _entry(d, CHECK + "dicom-no-tls")["safeguards"].append(
            SAFEGUARD + "does-not-exist"
        ),
    )
    assert _messages(root) == [f"{CHECK}dicom-no-tls: unknown safeguard {SAFEGUARD}does-not-exist"]


def test_safeguard_no_check_recommends_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    orphan = {
        "id": SAFEGUARD + "orphan",
        "title": "A safeguard nobody recommends",
        "type": "technical",
        "layer": "device",
        "description": "Test entry.",
        "refs": [{"framework": "nist-csf-2.0", "id": "PR.PS-01"}],
    }
    _edit(root / "safeguards" / "device.yaml", lambda d: d.append(orphan))
    assert _messages(root) == [f"{SAFEGUARD}orphan: no check recommends this safeguard"]


def test_unknown_framework_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        root / "safeguards" / "application.yaml",
        lambda d: _entry(d, SAFEGUARD + "dicom-tls")["refs"].append(
            {"framework": "iso-27001", "id": "A.8.24"}
        ),
    )
    (message,) = _messages(root)
    assert message.startswith(f"{SAFEGUARD}dicom-tls: unknown framework 'iso-27001' (known: ")


def test_unknown_framework_requirement_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        root / "safeguards" / "application.yaml",
        lambda d: _entry(d, SAFEGUARD + "dicom-tls")["refs"].append(
            {"framework": "nist-csf-2.0", "id": "PR.PT-04"}  # a CSF 1.1 id, withdrawn in 2.0
        ),
    )
    assert _messages(root) == [f"{SAFEGUARD}dicom-tls: nist-csf-2.0 has no requirement 'PR.PT-04'"]


def test_wrong_framework_edition_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        root / "safeguards" / "network.yaml",
        lambda d: _entry(d, SAFEGUARD + "segment-imaging-network")["refs"].append(
            {"framework": "hicp", "edition": "2023", "id": "6.M.B"}
        ),
    )
    assert _messages(root) == [
        f"{SAFEGUARD}segment-imaging-network: hicp 6.M.B: edition '2023' but the catalog "
        "holds edition '2019'"
    ]


def test_unregistered_fact_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)

    def change(d: list[dict[str, Any]]) -> None:
        _entry(d, CHECK + "smbv1-enabled")["when"] = {"fact": "smb.v1_on", "equals": True}

    _edit(root / "checks" / "patching.yaml", change)
    assert _messages(root) == [
        f"{CHECK}smbv1-enabled: condition reads unregistered fact 'smb.v1_on'"
    ]


def test_wrong_choice_value_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)

    def change(d: list[dict[str, Any]]) -> None:
        _entry(d, CHECK + "vendor-remote-access-always-on")["when"]["equals"] = "always"

    _edit(root / "checks" / "vendor.yaml", change)
    assert _messages(root) == [
        f"{CHECK}vendor-remote-access-always-on: remote_access.mode: value 'always' is not "
        "one of ['none', 'on_demand', 'always_on']"
    ]


def test_site_check_reading_asset_fact_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)

    def change(d: list[dict[str, Any]]) -> None:
        _entry(d, CHECK + "site-no-imaging-downtime-plan")["when"] = {
            "fact": "backup.covered",
            "equals": False,
        }

    _edit(root / "checks" / "site.yaml", change)
    assert _messages(root) == [
        f"{CHECK}site-no-imaging-downtime-plan: a site check cannot read asset fact "
        "'backup.covered'"
    ]


def test_vendor_alias_collision_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)

    def change(d: list[dict[str, Any]]) -> None:
        next(e for e in d if e["vendor"] == "Philips")["aliases"].append("Siemens Ltd.")

    _edit(root / "products.yaml", change)
    assert _messages(root) == [
        "products.yaml: vendor alias 'Siemens Ltd.' names both 'Siemens Healthineers' and 'Philips'"
    ]


def test_os_alias_collision_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)

    def change(d: list[dict[str, Any]]) -> None:
        next(r for r in d if r["name"] == "Windows 8.1")["aliases"].append("Win7")

    _edit(root / "os_lifecycle.yaml", change)
    assert _messages(root) == [
        "os_lifecycle.yaml: 'Win7' reads the same as a spelling of Windows 7 and names Windows 8.1"
    ]


def test_os_alias_collision_after_normalisation_is_reported(tmp_path: Path) -> None:
    """'Microsoft Windows 7' is read as 'Windows 7', so it cannot name another release."""
    root = _copy(tmp_path)

    def change(d: list[dict[str, Any]]) -> None:
        next(r for r in d if r["name"] == "Windows 8.1")["aliases"].append("Microsoft Windows 7")

    _edit(root / "os_lifecycle.yaml", change)
    assert _messages(root) == [
        "os_lifecycle.yaml: 'Microsoft Windows 7' reads the same as a spelling of Windows 7 "
        "and names Windows 8.1"
    ]


def test_product_alias_collision_within_a_vendor_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)

    def change(d: list[dict[str, Any]]) -> None:
        ge = next(v for v in d if v["vendor"] == "GE HealthCare")
        first, second = ge["products"][0], ge["products"][1]
        second.setdefault("aliases", []).append(first["name"])

    _edit(root / "products.yaml", change)
    (message,) = _messages(root)
    assert message.startswith("products.yaml: GE HealthCare product alias")
    assert "names both" in message


def test_hicp_reference_without_edition_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "safeguards" / "network.yaml"
    text = path.read_text(encoding="utf-8")
    assert 'edition: "2019", ' in text
    path.write_text(text.replace('edition: "2019", ', "", 1), encoding="utf-8")
    (message,) = _messages(root)
    assert "name the edition ('2019')" in message
