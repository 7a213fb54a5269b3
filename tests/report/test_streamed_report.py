"""A large assessment's report streams its findings from the store; it must say exactly what
the same report says with every finding read into memory (the reference path).

The demo (with the shared feeds, so the vulnerabilities section has CVE findings) and a
generated enterprise above the HTML detail limit are rendered both ways, on SQLite and on
PostgreSQL, in every format, and the files compared byte for byte.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewarden.app import Workspace, open_workspace
from imagewarden.app.assessment import assess
from imagewarden.app.findings import accept_risk, mark_false_positive
from imagewarden.app.reports import ReportFormat, write_report
from imagewarden.demo.enterprise import generate_enterprise, write_demo_inventory
from imagewarden.inventory.api import import_inventory
from imagewarden.report import html as html_module
from imagewarden.report import render_report
from imagewarden.report.gather import gather_context
from imagewarden.report.views import risk_order, view_findings
from imagewarden.store.finding_stream import StoredFindings
from imagewarden.vulns.api import import_feeds
from imagewarden.vulns.details import VULN_CHECKS

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FORMATS = [ReportFormat.HTML, ReportFormat.JSON, ReportFormat.CSV]


def _decide(workspace: Workspace) -> None:
    """Some accepted and false-positive findings, so resolved and accepted paths show."""
    findings = workspace.store.findings()
    for f in findings[1:40:7]:
        accept_risk(
            workspace, f.id, reason="vendor fix due", until=dt.date(2027, 1, 1), today=NOW.date()
        )
    for f in findings[3:60:11]:
        mark_false_positive(workspace, f.id, reason="not reachable")


@pytest.fixture(params=["demo", "enterprise"])
def workspace(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Workspace]:
    with open_workspace(db_url, create=True, actor="test") as opened:
        if request.param == "demo":
            import_inventory(opened, [write_demo_inventory(tmp_path / "demo.json")])
            import_feeds(opened, [SHARED_DATA], now=NOW)
        else:
            inventory = tmp_path / "enterprise.json"
            inventory.write_text(json.dumps(generate_enterprise(300, 6, seed=3)), encoding="utf-8")
            import_inventory(opened, [inventory])
        assess(opened)
        _decide(opened)
        yield opened


def _held(workspace: Workspace, fmt: ReportFormat, out: Path) -> None:
    """The reference: every finding read into memory, complete."""
    context = gather_context(
        workspace.store, workspace.catalog, workspace.capabilities, title="T", now=NOW
    )
    render_report(context, fmt.value, out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_report_says_what_the_report_read_into_memory_says(
    workspace: Workspace, fmt: ReportFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = workspace.store.finding_count()
    # Above the limit the report streams (the demo is smaller: lower the limit for it).
    monkeypatch.setattr(html_module, "DETAIL_LIMIT", min(html_module.DETAIL_LIMIT, count // 2))
    streamed, held = tmp_path / f"streamed.{fmt.value}", tmp_path / f"held.{fmt.value}"
    write_report(workspace, fmt, streamed, title="T", now=NOW)
    _held(workspace, fmt, held)
    assert streamed.read_bytes() == held.read_bytes()
    if fmt is ReportFormat.HTML:
        page = streamed.read_text(encoding="utf-8")
        assert "Grouped by weakness" in page
        assert f"this assessment has {count} findings" in page


def test_stream_is_in_risk_order_and_narrowed_by_the_store(workspace: Workspace) -> None:
    every = workspace.store.findings()
    with workspace.store.snapshot() as snapshot:
        stored = StoredFindings(snapshot)
        # as the store lists them (what sections saw before findings were streamed)
        assert [f.id for f in stored] == [f.id for f in every]
        context = gather_context(
            workspace.store, workspace.catalog, title="T", now=NOW, findings=stored
        )
        views = list(view_findings(context))
        assert [v.finding.id for v in views] == [
            v.finding.id for v in sorted(views, key=risk_order)
        ]
        assert len(stored) == len(views) == len(every)
        assert all(v.finding.evidence == {} and v.finding.first_seen is None for v in views)
        cves = list(stored.only(checks=VULN_CHECKS))
        assert {f.id for f in cves} == {f.id for f in every if f.check_id in VULN_CHECKS}
        assert list(stored.only(asset_ids=[])) == []
        one = next(f for f in every if f.asset_id and f.evidence)
        (complete,) = [
            f for f in stored.only(asset_ids=[one.asset_id], complete=True) if f.id == one.id
        ]
        assert complete == one


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_cyclic_collection_runs_while_a_report_is_made(
    workspace: Workspace, fmt: ReportFormat, tmp_path: Path
) -> None:
    """Reading every finding makes far more objects than a collection threshold: a report
    that let the collector run would scan the whole context again and again. Cycles made
    meanwhile are collected once the report is written, and the collector is back."""
    out = tmp_path / f"report.{fmt.value}"
    before_written: list[bool] = []

    def seen(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            before_written.append(not out.exists())  # the file appears when it is complete

    was = gc.isenabled()
    gc.enable()
    gc.callbacks.append(seen)
    try:
        write_report(workspace, fmt, out, title="T", now=NOW)
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        gc.callbacks.remove(seen)
        if not was:
            gc.disable()
    assert out.stat().st_size > 0
    assert not any(before_written)
