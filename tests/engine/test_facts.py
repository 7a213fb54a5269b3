"""The fact view the checks read: record facts, observations and derived facts."""

from __future__ import annotations

import datetime as dt

from imagewarden.catalog import Catalog
from imagewarden.engine import build_view
from imagewarden.model import AssetType, Criticality, NetworkZone, Site
from tests.factories import NOW, asset, fact, site_fact

TODAY = dt.date(2026, 11, 1)


def test_os_end_of_support_is_derived_from_the_lifecycle_table(catalog: Catalog) -> None:
    view = build_view(
        catalog,
        [Site("north", "North")],
        [asset("CT-1", os="Microsoft Windows 7 Professional", os_version="SP1")],
        [],
        TODAY,
    )
    facts = view.asset_facts["CT-1"]
    assert facts["os.end_of_support"] == dt.date(2020, 1, 14)
    assert facts["os.past_end_of_support"] is True
    assert facts["os.days_to_end_of_support"] == (dt.date(2020, 1, 14) - TODAY).days
    assert facts["os.known"] is True


def test_unknown_os_gives_no_end_of_support_facts(catalog: Catalog) -> None:
    view = build_view(catalog, [Site("north", "North")], [asset("CT-1", os="PlanOS 9")], [], TODAY)
    facts = view.asset_facts["CT-1"]
    assert facts["os.known"] is False
    assert "os.past_end_of_support" not in facts


def test_newest_observation_wins(catalog: Catalog) -> None:
    older = fact("CT-1", "phi.encrypted_at_rest", False, NOW - dt.timedelta(days=3))
    newer = fact("CT-1", "phi.encrypted_at_rest", True, NOW)
    view = build_view(catalog, [Site("north", "North")], [asset("CT-1")], [newer, older], TODAY)
    assert view.asset_facts["CT-1"]["phi.encrypted_at_rest"] is True


def test_derived_network_device_and_day_counts(catalog: Catalog) -> None:
    a = asset(
        "US-1",
        type=AssetType.US,
        network_zone=NetworkZone.CLINICAL,
        end_of_support=dt.date(2027, 1, 1),
    )
    b = asset("MR-1", type=AssetType.MR, network_zone=NetworkZone.UNKNOWN)
    observations = [
        fact("US-1", "remote_access.mode", "none"),
        fact("US-1", "backup.last_tested", dt.date(2025, 11, 1)),
    ]
    view = build_view(catalog, [Site("north", "North")], [a, b], observations, TODAY)
    us, mr = view.asset_facts["US-1"], view.asset_facts["MR-1"]
    assert us["network.shared_segment"] is True
    assert "network.shared_segment" not in mr  # unknown zone: not known to be shared
    assert us["device.past_end_of_support"] is False
    assert us["device.days_to_end_of_support"] == 61
    assert us["remote_access.enabled"] is False
    assert us["backup.days_since_last_test"] == 365


def test_service_facts(catalog: Catalog) -> None:
    view = build_view(catalog, [Site("north", "North")], [asset("CT-1")], [], TODAY)
    service = view.service_facts["CT-1:dicom/104"]
    assert service == {
        "service.protocol": "dicom",
        "service.port": 104,
        "service.tls": False,
        "service.cleartext_admin": False,
    }


def test_site_facts_are_aggregated_from_assets(catalog: Catalog) -> None:
    cloud_a = asset(
        "AI-1",
        type=AssetType.AI_APPLICATION,
        vendor="Acme AI",
        criticality=Criticality.HIGH,
        services=(),
    )
    cloud_b = asset(
        "CL-1",
        type=AssetType.CLOUD_SERVICE,
        vendor="Acme AI",
        criticality=Criticality.CRITICAL,
        services=(),
    )
    vna = asset("VNA-1", type=AssetType.VNA, services=())
    observations = [
        fact("AI-1", "ai.deployment", "cloud"),
        fact("AI-1", "ai.downtime_fallback", False),
        fact("VNA-1", "backup.immutable", False),
        site_fact("north", "site.last_downtime_drill", dt.date(2025, 6, 1)),
    ]
    view = build_view(
        catalog,
        [Site("north", "North"), Site("south", "South")],
        [cloud_a, cloud_b, vna],
        observations,
        TODAY,
    )
    north, south = view.site_facts["north"], view.site_facts["south"]
    assert north["site.single_vendor_critical_cloud"] is True
    assert north["site.archive_without_immutable_backup"] is True
    assert north["site.days_since_downtime_drill"] == (TODAY - dt.date(2025, 6, 1)).days
    assert north["site.imaging_asset_count"] == 3
    assert south["site.single_vendor_critical_cloud"] is False
    assert "site.archive_without_immutable_backup" not in south
