"""The demo enterprise: complete, valid against the domain vocabulary, deterministic, synthetic."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from imagewarden.demo.enterprise import (
    DEMO_PLACEMENTS,
    DEPARTMENTS,
    INVENTORY_FORMAT,
    MAX_GENERATED_SITES,
    OWNER_TEAMS,
    PLANTED_WEAKNESSES,
    REFERENCE_DATE,
    TEMPLATES,
    Profile,
    demo_inventory,
    generate_enterprise,
    write_demo_inventory,
)
from imagewarden.model import FACTS, FactType
from imagewarden.model.enums import (
    AssetType,
    Criticality,
    NetworkZone,
    ServiceProtocol,
    SubjectKind,
)
from imagewarden.model.facts import AI_DEPLOYMENTS

Json = dict[str, Any]

ASSET_KEYS = {
    "id", "site", "name", "type", "vendor", "model", "software_version", "os", "os_version",
    "end_of_support", "ip_addresses", "hostname", "segment", "network_zone", "criticality",
    "department", "owner", "managed", "services", "facts",
}  # fmt: skip
SERVICE_KEYS = {
    "protocol", "port", "tls", "ae_title", "internet_exposed", "auth_required", "admin_interface",
}  # fmt: skip
AE_TITLE = re.compile(r"^[A-Z0-9_]{1,16}$")


@pytest.fixture(scope="module")
def demo() -> Json:
    return demo_inventory()


@pytest.fixture(scope="module")
def large() -> Json:
    return generate_enterprise(5000, 20)


def _date(value: object) -> dt.date:
    assert isinstance(value, str) and len(value) == 10, value
    return dt.date.fromisoformat(value)


def _check_fact(name: str, value: object, subject: SubjectKind) -> None:
    spec = FACTS.get(name)
    assert spec is not None, f"unregistered fact {name}"
    assert not spec.derived, f"derived fact {name} must not be imported"
    assert spec.subject is subject, f"{name} is about a {spec.subject}, not a {subject}"
    if spec.type is FactType.BOOL:
        assert isinstance(value, bool), (name, value)
    elif spec.type is FactType.INT:
        assert isinstance(value, int) and not isinstance(value, bool), (name, value)
    elif spec.type is FactType.FLOAT:
        assert isinstance(value, int | float) and not isinstance(value, bool), (name, value)
    elif spec.type is FactType.STR:
        assert isinstance(value, str), (name, value)
    elif spec.type is FactType.DATE:
        _date(value)
    elif spec.type is FactType.CHOICE:
        assert value in spec.choices, (name, value)


def _check_inventory(inv: Json) -> None:
    """Everything the importer will insist on, checked field by field."""
    assert inv["format"] == INVENTORY_FORMAT
    site_ids = [s["id"] for s in inv["sites"]]
    assert len(site_ids) == len(set(site_ids))
    for site in inv["sites"]:
        assert set(site) == {"id", "name", "kind", "region", "facts"}
        for name, value in site["facts"].items():
            _check_fact(name, value, SubjectKind.SITE)
    ids = [a["id"] for a in inv["assets"]]
    assert len(ids) == len(set(ids))
    hostnames = [a["hostname"] for a in inv["assets"]]
    assert len(hostnames) == len(set(hostnames))
    addresses = [ip for a in inv["assets"] for ip in a["ip_addresses"]]
    assert len(addresses) == len(set(addresses))
    for asset in inv["assets"]:
        assert set(asset) == ASSET_KEYS, asset["id"]
        assert asset["site"] in site_ids
        AssetType(asset["type"])
        NetworkZone(asset["network_zone"])
        Criticality(asset["criticality"])
        assert isinstance(asset["managed"], bool)
        if asset["end_of_support"] is not None:
            _date(asset["end_of_support"])
        for ip in asset["ip_addresses"]:
            address = ipaddress.ip_address(ip)
            assert address in ipaddress.ip_network("10.0.0.0/8"), ip
        assert asset["owner"] in OWNER_TEAMS or asset["owner"] == "", asset["owner"]
        assert asset["department"] in DEPARTMENTS, asset["department"]
        keys = set()
        for service in asset["services"]:
            protocol = ServiceProtocol(service["protocol"])
            assert 1 <= service["port"] <= 65535
            keys.add((protocol, service["port"]))
            if protocol is ServiceProtocol.DICOM:
                assert set(service) == SERVICE_KEYS
                assert AE_TITLE.match(service["ae_title"]), service["ae_title"]
            else:  # the importer refuses an AE title, even an empty one, on other protocols
                assert set(service) == SERVICE_KEYS - {"ae_title"}
            for flag in ("tls", "internet_exposed", "auth_required", "admin_interface"):
                assert service[flag] is None or isinstance(service[flag], bool)
        assert len(keys) == len(asset["services"]), f"duplicate port on {asset['id']}"
        for name, value in asset["facts"].items():
            _check_fact(name, value, SubjectKind.ASSET)
    json.dumps(inv)  # JSON-ready: no dates, enums or tuples left


# --- the curated demo ---------------------------------------------------------------------


def test_demo_is_valid(demo: Json) -> None:
    _check_inventory(demo)


def test_demo_size_and_every_asset_type(demo: Json) -> None:
    assert len(demo["sites"]) >= 3
    assert 90 <= len(demo["assets"]) <= 110
    assert {a["type"] for a in demo["assets"]} == {t.value for t in AssetType}


def test_demo_is_deterministic() -> None:
    assert demo_inventory() == demo_inventory()


def test_demo_dates_follow_the_reference_date(demo: Json) -> None:
    later = demo_inventory(REFERENCE_DATE + dt.timedelta(days=10))
    first, moved = demo["sites"][0]["facts"], later["sites"][0]["facts"]
    shift = _date(moved["site.last_downtime_drill"]) - _date(first["site.last_downtime_drill"])
    assert shift == dt.timedelta(days=10)


def test_demo_has_a_realistic_mix_of_posture() -> None:
    profiles = Counter(p.profile for p in DEMO_PLACEMENTS)
    total = sum(profiles.values())
    assert 0.25 <= profiles[Profile.WELL] / total <= 0.45
    assert 0.25 <= profiles[Profile.TYPICAL] / total <= 0.55
    assert 0.08 <= profiles[Profile.WEAK] / total <= 0.25


def test_demo_site_readiness_varies(demo: Json) -> None:
    facts = {s["id"]: s["facts"] for s in demo["sites"]}
    recent = [
        f for f in facts.values()
        if f["site.downtime_plan"] and "site.last_downtime_drill" in f
        and (REFERENCE_DATE - _date(f["site.last_downtime_drill"])).days < 365
    ]  # fmt: skip
    stale = [
        f for f in facts.values()
        if "site.last_downtime_drill" in f
        and (REFERENCE_DATE - _date(f["site.last_downtime_drill"])).days > 365
    ]  # fmt: skip
    assert recent and stale
    assert any(not f["site.downtime_plan"] for f in facts.values())
    assert {s["kind"] for s in demo["sites"]} >= {"hospital", "imaging_center"}


def _services(inv: Json) -> list[tuple[Json, Json]]:
    return [(a, s) for a in inv["assets"] for s in a["services"]]


def test_demo_services_cover_the_imaging_protocols(demo: Json) -> None:
    services = _services(demo)
    protocols = Counter(s["protocol"] for _, s in services)
    for protocol in ("dicom", "dicomweb", "hl7", "https", "http", "rdp", "smb", "vnc"):
        assert protocols[protocol] >= 1, protocol
    ports = {s["port"] for _, s in services if s["protocol"] == "dicom"}
    assert {104, 11112, 4242, 2762} <= ports
    dicom_tls = [s for _, s in services if s["protocol"] == "dicom" and s["tls"]]
    assert 3 <= len(dicom_tls) <= 15
    assert any(s["protocol"] == "hl7" and s["port"] == 2575 for _, s in services)


def test_demo_plants_the_advertised_weaknesses(demo: Json) -> None:
    assets = demo["assets"]
    sites = {s["id"]: s for s in demo["sites"]}
    services = _services(demo)
    # exactly one telnet, on an old device
    telnet = [a for a, s in services if s["protocol"] == "telnet"]
    assert len(telnet) == 1 and telnet[0]["end_of_support"] < REFERENCE_DATE.isoformat()
    # exactly one internet-exposed DICOM service, at a small site
    exposed = [a for a, s in services if s["protocol"] == "dicom" and s["internet_exposed"]]
    assert len(exposed) == 1 and sites[exposed[0]["site"]]["kind"] == "imaging_center"
    # legacy OS on a shared segment with SMBv1
    assert any(
        a["os"] in ("Windows XP Embedded", "Windows 7")
        and NetworkZone(a["network_zone"]).is_shared
        and a["facts"].get("smb.v1_enabled") is True
        for a in assets
    )
    # always-on vendor remote access with a shared account and no MFA
    assert any(
        a["type"] == "remote_access"
        and a["facts"].get("remote_access.mode") == "always_on"
        and a["facts"].get("remote_access.shared_account") is True
        and a["facts"].get("remote_access.mfa") is False
        for a in assets
    )
    assert any(
        a["type"] == "viewer" and a["facts"].get("credentials.default_reported") is True
        for a in assets
    )
    assert any(
        a["facts"].get("phi.stored") is True and a["facts"].get("phi.encrypted_at_rest") is False
        for a in assets
    )
    assert any(a["type"] == "vna" and a["facts"].get("backup.immutable") is False for a in assets)
    assert any(
        a["type"] == "ai_application"
        and a["facts"].get("ai.deployment") == "cloud"
        and a["facts"].get("ai.sends_identifiable_images") is True
        and a["facts"].get("contract.baa_on_file") is False
        and a["facts"].get("ai.downtime_fallback") is False
        for a in assets
    )
    assert any(
        a["type"] in ("acquisition_workstation", "viewer")
        and a["facts"].get("media.removable_import") == "unchecked"
        for a in assets
    )
    assert any(not a["managed"] for a in assets)
    assert any(a["owner"] == "" for a in assets)
    assert any(a["vendor"] == "" for a in assets)
    # two critical cloud services from one vendor at one site, one without a fallback
    critical_cloud = Counter(
        (a["site"], a["vendor"])
        for a in assets
        if a["type"] == "cloud_service" and a["criticality"] == "critical"
    )
    assert max(critical_cloud.values()) >= 2
    # AI both on premises and in the cloud
    deployments = {a["facts"].get("ai.deployment") for a in assets if a["type"] == "ai_application"}
    assert {"on_premises", "cloud"} <= deployments
    assert len(PLANTED_WEAKNESSES) >= 12


def test_demo_has_weak_zones_but_is_mostly_segmented(demo: Json) -> None:
    zones = Counter(a["network_zone"] for a in demo["assets"])
    assert zones["imaging"] > len(demo["assets"]) / 2
    assert zones["clinical"] >= 1 and zones["flat"] >= 1


def test_write_demo_inventory(tmp_path: Path) -> None:
    path = write_demo_inventory(tmp_path / "demo.json")
    assert path == tmp_path / "demo.json"
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == demo_inventory()
    assert text.startswith('{\n  "format"')


# --- the generator ------------------------------------------------------------------------


def test_generator_scales_to_the_benchmark_size(large: Json) -> None:
    assert len(large["assets"]) == 5000
    assert len(large["sites"]) == 20
    assert len({a["id"] for a in large["assets"]}) == 5000
    assert {a["type"] for a in large["assets"]} == {t.value for t in AssetType}


def test_generator_output_is_valid(large: Json) -> None:
    _check_inventory(large)


def test_generator_is_deterministic_for_a_seed(large: Json) -> None:
    assert generate_enterprise(5000, 20) == large
    assert generate_enterprise(300, 4, seed=7) == generate_enterprise(300, 4, seed=7)
    assert generate_enterprise(300, 4, seed=7) != generate_enterprise(300, 4, seed=8)


def test_generator_draws_from_the_product_templates(large: Json) -> None:
    products = {(t.vendor, t.model, t.os, t.os_version) for t in TEMPLATES}
    for asset in large["assets"]:
        key = (asset["vendor"], asset["model"], asset["os"], asset["os_version"])
        assert key in products, key


def test_generator_mirrors_the_demo_sites(large: Json) -> None:
    demo_sites = [(s["id"], s["name"], s["kind"]) for s in demo_inventory()["sites"]]
    generated = [(s["id"], s["name"], s["kind"]) for s in large["sites"][: len(demo_sites)]]
    assert generated == demo_sites


@pytest.mark.parametrize(("n_assets", "n_sites"), [(0, 1), (5, 1), (24, 2), (40, 230)])
def test_generator_small_and_edge_sizes(n_assets: int, n_sites: int) -> None:
    inv = generate_enterprise(n_assets, n_sites)
    assert len(inv["assets"]) == n_assets and len(inv["sites"]) == n_sites
    _check_inventory(inv)


def test_generator_puts_many_assets_on_one_site() -> None:
    inv = generate_enterprise(3000, 1)
    _check_inventory(inv)
    assert len({a["segment"] for a in inv["assets"]}) > 7  # full /24s rolled over


@pytest.mark.parametrize(("n_assets", "n_sites"), [(10, 0), (10, MAX_GENERATED_SITES + 1), (-1, 3)])
def test_generator_rejects_impossible_sizes(n_assets: int, n_sites: int) -> None:
    with pytest.raises(ValueError):
        generate_enterprise(n_assets, n_sites)


# --- the templates ------------------------------------------------------------------------


def test_templates_are_consistent() -> None:
    keys = [t.key for t in TEMPLATES]
    assert len(keys) == len(set(keys))
    assert {t.type for t in TEMPLATES} == set(AssetType)
    for t in TEMPLATES:
        assert t.versions, t.key
        assert t.ai_deployment in ("", *AI_DEPLOYMENTS), t.key
        assert t.department in DEPARTMENTS, t.key
        assert bool(t.ai_deployment) == (t.type.category.value == "ai"), t.key
    placements = {p.template for p in DEMO_PLACEMENTS}
    assert placements <= set(keys)
