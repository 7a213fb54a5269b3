from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TextIO

import pytest

from imagewarden.model import UserInputError
from imagewarden.render import charts as charts_module
from imagewarden.report import RENDERERS, json_export, render_report
from imagewarden.report.interface import ReportContext


def test_renderers_registered() -> None:
    assert set(RENDERERS) == {"html", "pdf", "json", "csv"}
    for name, renderer in RENDERERS.items():
        assert renderer.format == name


@pytest.mark.parametrize("fmt", ["html", "pdf", "json", "csv"])
def test_render_each_format(context: ReportContext, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    render_report(context, fmt, out)
    assert out.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_unknown_format_is_a_user_error(context: ReportContext, tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="docx"):
        render_report(context, "docx", tmp_path / "x.docx")
    assert list(tmp_path.iterdir()) == []


def _boom(*args: object, **kwargs: object) -> str:
    raise RuntimeError("chart failed")


def test_failed_html_render_leaves_no_file(
    context: ReportContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts_module, "donut_chart", _boom)
    out = tmp_path / "report.html"
    with pytest.raises(RuntimeError, match="chart failed"):
        render_report(context, "html", out)
    assert list(tmp_path.iterdir()) == []


def test_failed_render_keeps_previous_report(
    context: ReportContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "findings.json"
    out.write_text("previous report", encoding="utf-8")
    # Fail while the document is being streamed into the temporary file.
    monkeypatch.setattr(json_export, "write_document", _partial_write)
    with pytest.raises(RuntimeError, match="disk full"):
        render_report(context, "json", out)
    assert out.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def _partial_write(document: object, handle: TextIO) -> None:
    # Write something first, so a non-atomic writer would leave a partial file behind.
    handle.write('{"partial": ')
    handle.flush()
    raise RuntimeError("disk full")


@pytest.mark.parametrize("fmt", ["html", "json", "csv"])
def test_empty_enterprise_renders(context: ReportContext, tmp_path: Path, fmt: str) -> None:
    empty = dataclasses.replace(
        context, sites=(), assets=(), findings=(), asset_facts={}, assessment=None
    )
    out = tmp_path / f"empty.{fmt}"
    render_report(empty, fmt, out)
    assert out.stat().st_size > 0


def test_findings_about_removed_assets_and_sites_render(
    context: ReportContext, tmp_path: Path
) -> None:
    orphan = dataclasses.replace(
        context.findings[0], id="iwf-orphan", site_id="st-gone", asset_id="a-gone"
    )
    ctx = dataclasses.replace(context, findings=(*context.findings, orphan))
    out = tmp_path / "r.json"
    render_report(ctx, "json", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    record = next(f for f in data["findings"] if f["id"] == "iwf-orphan")
    assert record["site"] == {"id": "st-gone", "name": "st-gone"}
    assert record["asset"]["name"] == "a-gone"
    assert any(s["site_id"] == "st-gone" for s in data["summary"]["by_site"])
    render_report(ctx, "html", tmp_path / "r.html")


def test_new_report_is_private_and_replaced_report_keeps_mode(
    context: ReportContext, tmp_path: Path
) -> None:
    fresh = tmp_path / "new.csv"
    render_report(context, "csv", fresh)
    assert fresh.stat().st_mode & 0o777 == 0o600
    shared = tmp_path / "shared.csv"
    shared.write_text("old", encoding="utf-8")
    shared.chmod(0o640)
    render_report(context, "csv", shared)
    assert shared.stat().st_mode & 0o777 == 0o640
    assert shared.read_text(encoding="utf-8").startswith("id,")
