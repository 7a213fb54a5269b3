"""The segmentation plan: zones, least-privilege rules, would-be-blocked flows, and exports
that a crafted AE title cannot break."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from imagewarden.traffic.segmentation.export import (
    PlanFormat,
    render_plan,
    safe_text,
    to_cisco,
    to_nftables,
)
from imagewarden.traffic.segmentation.policy import SegmentationPlan, build_plan
from imagewarden.traffic.segmentation.zones import Zone
from tests.traffic import department as dept


def _plan(flows: tuple[dept.FlowRecord, ...] | None = None) -> SegmentationPlan:
    return build_plan(dept.flows() if flows is None else flows, dept.department().assets, "north")


def test_zones_come_from_the_inventory() -> None:
    plan = _plan()
    zones = {zone: [e.label for e in members] for zone, members in plan.zones.items() if members}
    assert zones == {
        Zone.MODALITY: ["Ct-1", "Mr-1"],
        Zone.ARCHIVE: ["Pacs-1"],
        Zone.READING: ["Ws-1"],
        Zone.AI: ["Aio-1"],
        Zone.VENDOR_ACCESS: ["Ra-1"],
        Zone.ENTERPRISE: ["Ris-1", dept.ROGUE],
        Zone.INTERNET: [dept.TELERAD, "Ai-Cloud"],
    }


def test_observed_flows_become_host_to_host_rules() -> None:
    plan = _plan()
    rules = {
        (r.source.label, r.destination.label, r.port, r.service, r.ae_titles) for r in plan.allow
    }
    assert rules == {
        ("Ct-1", "Mr-1", 104, "dicom", (("CT1", "MR1"),)),
        ("Ct-1", "Pacs-1", 104, "dicom", (("CT1", "PACS1"),)),
        ("Mr-1", "Pacs-1", 2762, "dicom-tls", ()),
        ("Ws-1", "Pacs-1", 104, "dicom", (("WS1", "PACS1"),)),
        ("Ris-1", "Pacs-1", 2575, "hl7", ()),
        ("Ws-1", "Pacs-1", 8080, "dicomweb", ()),
        ("Ra-1", "Ct-1", 5900, "vnc", ()),
        ("Aio-1", "Ai-Cloud", 443, "https", ()),
    }
    assert [r.id for r in plan.allow] == [f"r{n:03d}" for n in range(1, 9)]


def test_flows_that_need_a_decision_would_be_blocked() -> None:
    plan = _plan()
    blocked = {(b.source.address, b.destination.address, b.port): b.reasons for b in plan.blocked}
    assert blocked == {
        (dept.ROGUE, "10.20.125.13", 104): (
            f"{dept.ROGUE} is not in the inventory",
            "calling AE title ROGUE is not in the inventory",
        ),
        ("10.20.125.13", dept.TELERAD, 104): ("clear-text DICOM with an internet address",),
    }


def test_flows_outside_the_imaging_zones_are_not_governed() -> None:
    enterprise = dept._flow("10.30.0.1", "10.30.0.2", 445, "other")
    plan = _plan((enterprise,))
    assert plan.empty and plan.flows_outside == 1


def test_yaml_export_is_data() -> None:
    data = yaml.safe_load(render_plan(_plan(), PlanFormat.YAML))
    assert data["format"] == "imagewarden-segmentation/1" and data["site"] == "north"
    (rule,) = [r for r in data["allow"] if r["from"].get("asset") == "CT-1" and r["port"] == 104
               and r["to"]["asset"] == "PACS-1"]  # fmt: skip
    assert rule["from"]["zone"] == "modality" and rule["to"]["zone"] == "archive"
    assert rule["ae_titles"] == [{"calling": "CT1", "called": "PACS1"}]
    assert rule["observed"]["operations"] == {"C-STORE": 20}
    assert data["would_block"][0]["reasons"]
    assert "modality" in data["protected_zones"] and "internet" not in data["protected_zones"]


def test_cisco_export() -> None:
    text = to_cisco(_plan())
    assert "ip access-list extended IMAGEWARDEN-IMAGING" in text
    assert " permit tcp host 10.20.120.11 host 10.20.125.13 eq 104" in text
    assert " permit tcp host 10.20.125.13 eq 104 host 10.20.120.11 established" in text
    assert " deny ip any host 10.20.125.13 log" in text
    assert all(len(line) <= 110 for line in text.splitlines() if line.startswith(" remark"))


def _nft_check(text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    path = folder / "plan.nft"
    path.write_text(text)
    # -c: parse and check only; in a private network namespace all the same
    return subprocess.run(
        ["unshare", "-n", "nft", "-c", "-f", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


needs_nft = pytest.mark.skipif(
    shutil.which("nft") is None or shutil.which("unshare") is None,
    reason="nft is not installed (scripts/system-deps test)",
)


@needs_nft
def test_nftables_export_passes_nft_check(tmp_path: Path) -> None:
    text = to_nftables(_plan())
    assert "ip saddr 10.20.120.11 ip daddr 10.20.125.13 tcp dport 104 accept" in text
    done = _nft_check(text, tmp_path)
    assert done.returncode == 0, done.stderr


HOSTILE = 'X"; flush ruleset #'


@needs_nft
def test_a_crafted_ae_title_cannot_inject_rules(tmp_path: Path) -> None:
    hostile = dataclasses.replace(dept.flows()[7], calling_ae=HOSTILE[:16])  # CT-1 -> MR-1
    plan = _plan((hostile, dept.flows()[2]))
    assert not plan.blocked
    nft = to_nftables(plan)
    assert "flush ruleset" not in nft.replace("# ", "") or '"' not in HOSTILE[:16]
    for line in nft.splitlines():
        if "comment" in line:
            assert line.count('"') == 2 and ";" not in line.split("comment", 1)[1]
    done = _nft_check(nft, tmp_path)
    assert done.returncode == 0, done.stderr
    cisco = to_cisco(plan)
    assert all(";" not in line and '"' not in line for line in cisco.splitlines()[3:])
    data = yaml.safe_load(render_plan(plan, PlanFormat.YAML))
    assert data["allow"][0]["ae_titles"][0]["calling"] == HOSTILE[:16]  # kept, quoted


def test_safe_text() -> None:
    assert safe_text('a"b;c\nd(e),f', 100) == "a?b?c?d(e),f"
    assert safe_text("x" * 300, 10) == "x" * 10


def test_ipv6_hosts(tmp_path: Path) -> None:
    inventory = dept.department()
    assets = [
        dataclasses.replace(a, ip_addresses=("fd00::11",)) if a.id == "CT-1" else a
        for a in inventory.assets
    ]
    assets = [
        dataclasses.replace(a, ip_addresses=("fd00::13",)) if a.id == "PACS-1" else a
        for a in assets
    ]
    flow = dataclasses.replace(dept.flows()[0], client="fd00::11", server="fd00::13")
    plan = build_plan((flow,), assets, "north")
    assert "permit tcp host fd00::11 host fd00::13 eq 104" in to_cisco(plan)
    assert "ipv6 access-list IMAGEWARDEN-IMAGING-V6" in to_cisco(plan)
    assert "deny ipv6 any host fd00::13 log" in to_cisco(plan)
    if shutil.which("nft") and shutil.which("unshare"):
        done = _nft_check(to_nftables(plan), tmp_path)
        assert done.returncode == 0, done.stderr
