"""The demo's own packet capture: real lab traffic between demo assets, shown in the report."""

from __future__ import annotations

import json
from importlib.resources import as_file, files
from pathlib import Path

from imagewarden.demo.enterprise import demo_inventory
from imagewarden.demo.run import CAPTURE_SITE, DEMO_CAPTURE, run_demo
from imagewarden.traffic import api
from imagewarden.traffic.model import CaptureBatch

STRANGER = "10.20.125.250"
"""The laptop nobody listed: the capture's only host outside the demo inventory."""


def _batch() -> CaptureBatch:
    with as_file(files("imagewarden.demo") / "captures" / DEMO_CAPTURE) as capture:
        return api.analyze([capture], site_id=CAPTURE_SITE)


def test_the_capture_is_traffic_between_the_demo_sites_own_assets() -> None:
    batch = _batch()
    site_assets = [a for a in demo_inventory()["assets"] if a["site"] == CAPTURE_SITE]
    addresses = {ip for a in site_assets for ip in a["ip_addresses"]}
    hosts = {h for f in batch.flows for h in (f.client, f.server)}
    assert hosts - addresses == {STRANGER}
    inventory_titles = {s.get("ae_title") for a in site_assets for s in a["services"]}
    dicom = {
        (f.calling_ae, f.called_ae): dict(f.requests) for f in batch.flows if f.protocol == "dicom"
    }
    assert {c for c, _ in dicom} | {d for _, d in dicom} <= inventory_titles | {"ANYSCU"}
    assert dicom == {
        ("RMC_CT1", "RMC_PACS1"): {"C-ECHO": 1, "C-STORE": 2},
        ("RMC_MR1", "RMC_PACS1"): {"C-STORE": 1},
        ("RMC_PACS1", "RMC_VNA1"): {"C-STORE": 3},
        ("RMC_PACS1", "RMC_AI1"): {"C-STORE": 1},
        ("RMC_VWR3", "RMC_VNA1"): {"C-FIND": 1, "C-MOVE": 1},
        ("RMC_VNA1", "RMC_VWR3"): {"C-STORE": 3},
        ("ANYSCU", "RMC_PACS1"): {"C-ECHO": 1, "C-FIND": 1},
    }
    other = {(f.protocol, f.server, f.port) for f in batch.flows if f.protocol != "dicom"}
    assert other == {("hl7", "10.20.125.13", 2575), ("tls", "10.20.250.11", 443)}


def test_the_demo_report_shows_the_flow_map_and_the_segmentation_policy(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo")
    assert result.traffic_flows == 9
    html = result.report.read_text(encoding="utf-8")
    section = html[html.index("Traffic and segmentation") :]
    riverside = section[section.index("<h3>Riverside Medical Center</h3>") :]
    flowmap = riverside[riverside.index("<svg") : riverside.index("</svg>")]
    assert 'class="chart flowmap"' in flowmap
    for name in ("CT Scanner 1 (ED)", "Enterprise PACS", "Enterprise VNA (primary)"):
        assert name in flowmap
    allow = riverside[riverside.index("Allow-list from observed flows") :]
    assert "(8 rules;" in allow
    assert "RMC_CT1 → RMC_PACS1" in allow and "RMC_VWR3 → RMC_VNA1" in allow
    blocked = riverside[riverside.index("Would be blocked") :]
    blocked = blocked[: blocked.index("</table>")]
    assert STRANGER in blocked and "ANYSCU is not in the inventory" in blocked
    findings = json.loads((tmp_path / "demo" / "findings.json").read_text(encoding="utf-8"))
    # the demo's closing line counts as the report does: managed apart from unmanaged
    summary = findings["summary"]
    counted = (result.assets, result.sites, result.unmanaged)
    assert counted == (summary["assets"], summary["sites"], summary["unmanaged_assets"])
    assert result.unmanaged >= 2  # the lab's hosts and the capture's unlisted laptop
    checks = {(f["check_id"], f["asset"]["id"]) for f in findings["findings"] if f.get("asset")}
    assert ("urn:imagewarden:check:traffic-unknown-ae-archive-query", "RMC-PACS-01") in checks
