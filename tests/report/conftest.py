"""A small imaging enterprise, built by hand from real model objects and the shipped catalog."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imagewarden.app import Workspace
from imagewarden.catalog import Catalog, load_catalog
from imagewarden.model import (
    AssessmentRun,
    Asset,
    AssetType,
    Criticality,
    FactValue,
    Finding,
    FindingStatus,
    NetworkZone,
    RiskFactor,
    RiskScore,
    Severity,
    Site,
    SubjectKind,
    finding_fingerprint,
)
from imagewarden.report.interface import ReportContext

NOW = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)
MALICIOUS_NAME = "<script>alert(1)</script>"
FORMULA_NAME = "=cmd()"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def risk(score: int, *levels: str) -> RiskScore:
    """A score split over named factors so that the points add up to ``score``."""
    names = ("severity", "exploitability", "exposure", "criticality")[: len(levels) or 1]
    share = score / len(names)
    return RiskScore(
        score,
        tuple(
            RiskFactor(name, (levels or ("high",))[i], 0.25, share, f"{name} reason {i}")
            for i, name in enumerate(names)
        ),
    )


@dataclass
class Enterprise:
    """The fixture's context plus handles on what the tests assert about."""

    context: ReportContext
    eol_asset_ids: set[str]
    mitigated_ids: set[str]


def _finding(
    catalog: Catalog,
    index: int,
    asset: Asset | None,
    site_id: str,
    severity: Severity,
    score: int,
    status: FindingStatus = FindingStatus.OPEN,
    **extra: object,
) -> Finding:
    checks = sorted(catalog.checks)
    safeguards = sorted(catalog.safeguards)
    check = catalog.checks[checks[index % len(checks)]]
    # Real safeguard URNs from the loaded catalog: one or two per finding.
    chosen = {safeguards[index % len(safeguards)], safeguards[(index * 3) % len(safeguards)]}
    subject_kind = SubjectKind.ASSET if asset else SubjectKind.SITE
    subject_id = asset.id if asset else site_id
    # Each finding gets its own subject id suffix so fingerprints stay unique per index.
    fingerprint = finding_fingerprint(f"{check.id}-{index}", subject_kind, subject_id)
    return Finding(
        id=fingerprint,
        check_id=check.id,
        subject_kind=subject_kind,
        subject_id=subject_id,
        site_id=site_id,
        asset_id=asset.id if asset else None,
        title=f"{check.title} #{index}",
        severity=severity,
        risk=risk(score, "high", "medium", "low"),
        evidence={
            "asset.os": "Windows 7",
            "os.end_of_support": dt.date(2020, 1, 14),
            "os.past_end_of_support": True,
            "note": '=HYPERLINK("x")',
        },
        safeguards=tuple(sorted(chosen)),
        status=status,
        first_seen=NOW - dt.timedelta(days=30),
        last_seen=NOW,
        **extra,  # type: ignore[arg-type]
    )


def build_enterprise(catalog: Catalog) -> Enterprise:
    sites = (
        Site("st-main", "Main Hospital"),
        Site("st-north", "North Imaging Center", kind="imaging_center"),
        Site("st-east", "East Clinic", kind="clinic"),
    )
    assets = (
        Asset(
            "a-ct1",
            "st-main",
            "CT-1 Emergency",
            AssetType.CT,
            vendor="Siemens Healthineers",
            os="Windows 7",
            os_version="SP1",
            network_zone=NetworkZone.CORPORATE,
            criticality=Criticality.CRITICAL,
            segment="VLAN 10",
        ),
        Asset(
            "a-mr1",
            "st-main",
            "MR-1",
            AssetType.MR,
            os="Windows 10",
            os_version="1809",
            end_of_support=dt.date(2023, 6, 30),
            network_zone=NetworkZone.IMAGING,
            criticality=Criticality.HIGH,
        ),
        Asset(
            "a-pacs",
            "st-main",
            "PACS core",
            AssetType.PACS,
            os="Windows Server 2019",
            network_zone=NetworkZone.IMAGING,
            criticality=Criticality.CRITICAL,
        ),
        Asset(
            "a-us1",
            "st-north",
            "US-1",
            AssetType.US,
            os="Windows XP",
            network_zone=NetworkZone.FLAT,
            criticality=Criticality.MEDIUM,
        ),
        Asset(
            "a-evil",
            "st-north",
            MALICIOUS_NAME,
            AssetType.DX,
            network_zone=NetworkZone.MEDICAL_DEVICE,
        ),
        Asset("a-formula", "st-north", FORMULA_NAME, AssetType.CR),
        Asset(
            "a-ai",
            "st-north",
            "Stroke AI",
            AssetType.AI_APPLICATION,
            network_zone=NetworkZone.CLOUD,
        ),
        Asset("a-viewer", "st-east", "Clinic viewer", AssetType.VIEWER, os="Windows 11"),
    )
    by_id = {a.id: a for a in assets}
    facts: dict[str, dict[str, FactValue]] = {
        "a-ct1": {
            "asset.os": "Windows 7",
            "asset.os_version": "SP1",
            "os.end_of_support": dt.date(2020, 1, 14),
            "os.past_end_of_support": True,
            "os.days_to_end_of_support": -2120,
            "network.shared_segment": True,
        },
        "a-mr1": {
            "asset.os": "Windows 10",
            "asset.os_version": "1809",
            "os.past_end_of_support": False,
            "device.past_end_of_support": True,
            "asset.end_of_support": dt.date(2023, 6, 30),
            "device.days_to_end_of_support": -857,
            "network.shared_segment": False,
        },
        "a-pacs": {
            "asset.os": "Windows Server 2019",
            "os.past_end_of_support": False,
            "device.past_end_of_support": False,
        },
        "a-us1": {
            "asset.os": "Windows XP",
            "os.end_of_support": dt.date(2014, 4, 8),
            "os.past_end_of_support": True,
            "network.shared_segment": True,
        },
        "a-viewer": {"asset.os": "Windows 11", "os.past_end_of_support": False},
    }
    o = FindingStatus
    findings = (
        _finding(catalog, 0, by_id["a-ct1"], "st-main", Severity.CRITICAL, 92),
        _finding(catalog, 1, by_id["a-ct1"], "st-main", Severity.HIGH, 71),
        _finding(catalog, 2, by_id["a-mr1"], "st-main", Severity.HIGH, 64),
        _finding(
            catalog,
            3,
            by_id["a-pacs"],
            "st-main",
            Severity.MEDIUM,
            48,
            o.ACCEPTED,
            status_reason="Vendor patch scheduled",
            accepted_until=dt.date(2026, 3, 31),
        ),
        _finding(
            catalog,
            4,
            by_id["a-pacs"],
            "st-main",
            Severity.CRITICAL,
            99,
            o.MITIGATED,
            mitigated_at=NOW - dt.timedelta(days=2),
        ),
        _finding(catalog, 5, by_id["a-us1"], "st-north", Severity.HIGH, 77),
        _finding(catalog, 6, by_id["a-evil"], "st-north", Severity.MEDIUM, 40),
        _finding(catalog, 7, by_id["a-formula"], "st-north", Severity.LOW, 22),
        _finding(catalog, 8, by_id["a-ai"], "st-north", Severity.INFO, 5),
        _finding(
            catalog,
            9,
            by_id["a-ai"],
            "st-north",
            Severity.HIGH,
            88,
            o.FALSE_POSITIVE,
            status_reason="Not reachable",
        ),
        _finding(catalog, 10, None, "st-north", Severity.HIGH, 70),
    )
    assessment = AssessmentRun(
        id=7,
        started_at=NOW - dt.timedelta(minutes=4),
        finished_at=NOW - dt.timedelta(minutes=1),
        catalog_version=catalog.version,
        assets=len(assets),
        findings_open=8,
        findings_new=3,
        findings_mitigated=1,
    )
    context = ReportContext(
        title="Imaging cybersecurity readiness — Q4",
        generated_at=NOW,
        catalog=catalog,
        sites=sites,
        assets=assets,
        findings=findings,
        asset_facts=facts,
        assessment=assessment,
    )
    return Enterprise(
        context=context,
        eol_asset_ids={"a-ct1", "a-mr1", "a-us1"},
        mitigated_ids={f.id for f in findings if f.status in (o.MITIGATED, o.FALSE_POSITIVE)},
    )


@pytest.fixture
def enterprise(catalog: Catalog) -> Enterprise:
    return build_enterprise(catalog)


@pytest.fixture
def context(enterprise: Enterprise) -> ReportContext:
    return enterprise.context


@contextlib.contextmanager
def demo_workspace(folder: Path) -> Iterator[Workspace]:
    """A workspace on a new database in ``folder`` holding the demo enterprise's inventory."""
    from imagewarden.app import installed_capabilities, open_store
    from imagewarden.app import load_catalog as load_full_catalog
    from imagewarden.demo.enterprise import write_demo_inventory
    from imagewarden.inventory import ImportContext, read_inventory

    capabilities = installed_capabilities()
    catalog = load_full_catalog(None, capabilities)
    store = open_store(str(folder / "iw.db"), create=True, capabilities=capabilities)
    with Workspace(store, catalog, capabilities) as workspace:
        inventory = write_demo_inventory(folder / "inventory.json")
        observed = ImportContext(catalog, observed_at=dt.datetime.now(dt.UTC))
        store.save_inventory(read_inventory(inventory, observed))
        yield workspace


@pytest.fixture(scope="session")
def resilience_documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo enterprise's IR plan, tabletop package and after-action report (HTML)."""
    from imagewarden.resilience.demo import run_demo

    folder = tmp_path_factory.mktemp("resilience-print")
    with demo_workspace(folder) as workspace:
        run_demo(workspace, folder)
    return folder / "resilience"
