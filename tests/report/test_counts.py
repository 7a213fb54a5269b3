"""Counts agree everywhere: the inventory (managed assets at inventory sites) is counted once,
hosts found on the network that are not in it are counted apart, and the top risks name
distinct assets, each with its number of findings."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from imagewarden.model import (
    ENTERPRISE_SITE_ID,
    Asset,
    AssetType,
    FindingStatus,
    Severity,
    Site,
    SubjectKind,
)
from imagewarden.report import render_report
from imagewarden.report.board import board_model, render_board_html
from imagewarden.report.html import render_html
from imagewarden.report.interface import ReportContext
from imagewarden.report.summary import build_summary

CURRENT = (FindingStatus.OPEN, FindingStatus.ACCEPTED)


@pytest.fixture
def with_unmanaged(context: ReportContext) -> ReportContext:
    """The fixture enterprise plus what discovery and governance add to a real one: a site
    a discovery run created with two unmanaged hosts, an unmanaged host at an inventory
    site, and an enterprise-wide finding."""
    lab = Site("lab", "Discovered (lab)", kind="discovered")
    hosts = (
        Asset("disc-1", "lab", "Discovered host 127.0.0.2", AssetType.UNKNOWN, managed=False,
              ip_addresses=("127.0.0.2",)),
        Asset("disc-2", "lab", "Discovered host 127.0.0.3", AssetType.UNKNOWN, managed=False),
        Asset("disc-3", "st-main", "Unidentified DICOM host", AssetType.UNKNOWN, managed=False),
    )  # fmt: skip
    base = context.findings[1]
    extra = [
        dataclasses.replace(
            base,
            id=f"iwf-unmanaged{i}",
            asset_id=a.id,
            subject_id=a.id,
            site_id=a.site_id,
            severity=Severity.CRITICAL,
            risk=dataclasses.replace(base.risk, score=97 - i),
        )
        for i, a in enumerate(hosts)
    ]
    extra.append(
        dataclasses.replace(
            base,
            id="iwf-enterprise",
            asset_id=None,
            subject_kind=SubjectKind.SITE,
            subject_id=ENTERPRISE_SITE_ID,
            site_id=ENTERPRISE_SITE_ID,
            severity=Severity.MEDIUM,
        )
    )
    extra.append(
        dataclasses.replace(
            base,
            id="iwf-lab-site",
            asset_id=None,
            subject_kind=SubjectKind.SITE,
            subject_id="lab",
            site_id="lab",
        )
    )
    return dataclasses.replace(
        context,
        sites=(*context.sites, lab),
        assets=(*context.assets, *hosts),
        findings=(*context.findings, *extra),
    )


def test_unmanaged_hosts_are_counted_apart(with_unmanaged: ReportContext) -> None:
    summary = build_summary(with_unmanaged)
    managed = [a for a in with_unmanaged.assets if a.managed]
    assert summary.asset_count == len(managed) == 8
    assert summary.site_count == 3
    assert {h.asset.id for h in summary.unmanaged} == {"disc-1", "disc-2", "disc-3"}
    assert summary.unmanaged_findings == 3
    assert summary.enterprise_findings == 1
    assert {row.site_id for row in summary.by_site} == {"st-main", "st-north", "st-east"}
    current = sum(1 for f in with_unmanaged.findings if f.status in CURRENT)
    in_bars = sum(row.total for row in summary.by_site)
    assert summary.other_site_findings == 1
    apart = summary.unmanaged_findings + summary.enterprise_findings + summary.other_site_findings
    assert in_bars + apart == current
    assert sum(summary.by_severity.values()) == current
    assert {row.site_id: row.assets for row in summary.by_site}["st-main"] == 3
    assert "across 8 imaging devices and systems at 3 sites" in summary.executive.sentences[0]
    assert any("3 hosts found on the network" in s for s in summary.executive.sentences)


def test_html_and_json_say_the_same_counts(with_unmanaged: ReportContext, tmp_path: Path) -> None:
    page = render_html(with_unmanaged)
    chart = page[page.index('id="by-site-desc"') :]
    chart = chart[: chart.index("</desc>")]
    assert chart.count(";") + 1 == 3, chart  # one bar per inventory site
    assert "Discovered (lab)" not in chart and "Enterprise-wide" not in chart
    assert "1 finding about sites that hold only unmanaged hosts" in page
    assert "8 managed assets at 3 sites, and 3 unmanaged hosts" in page
    hosts = page[page.index('id="unmanaged"') : page.index('id="top-risks"')]
    for host_id in ("disc-1", "disc-2", "disc-3"):
        assert host_id in hosts
    assert "127.0.0.2" in hosts
    render_report(with_unmanaged, "json", tmp_path / "r.json")
    import json

    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]
    assert (data["assets"], data["sites"], data["unmanaged_assets"]) == (8, 3, 3)
    assert (data["unmanaged_findings"], data["enterprise_findings"]) == (3, 1)
    assert data["other_site_findings"] == 1
    assert data["top_asks"] and all(ask["sites"] <= 3 for ask in data["top_asks"])
    assert len(data["by_site"]) == 3
    board = board_model(dataclasses.replace(with_unmanaged, sections=()))
    assert (board["assets"], board["sites"], board["unmanaged"]) == (8, 3, 3)


def test_top_risks_are_distinct_assets_with_their_counts(context: ReportContext) -> None:
    # CT-1 holds the two highest current scores (92 and 71): one row, two findings.
    summary = build_summary(context)
    subjects = [t.finding.asset_id or f"site:{t.finding.site_id}" for t in summary.top_risks]
    assert len(subjects) == len(set(subjects))
    first = summary.top_risks[0]
    assert first.finding.asset_id == "a-ct1" and first.finding.risk.score == 92
    current = [f for f in context.findings if f.status in CURRENT]
    for top in summary.top_risks:
        f = top.finding
        same = [g for g in current if (g.asset_id, g.site_id) == (f.asset_id, f.site_id)]
        assert top.findings == len(same)
        assert f.risk.score == max(g.risk.score for g in same)
    assert first.findings == 2


def test_board_top_five_are_distinct_assets_with_counts(context: ReportContext) -> None:
    board = board_model(context)
    wheres = [r["where"] for r in board["risks"]]
    assert len(wheres) == len(set(wheres)) == 5
    assert board["risks"][0]["findings"] == 2
    page = render_board_html(context)
    table = page[page.index("Top five risks") :]
    table = table[: table.index("</table>")]
    assert re.search(r"CT-1 Emergency.*?<td>92</td><td>2</td>", table, re.S)
