"""Sections contributed by other capabilities appear in the HTML and JSON reports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from imagewarden.report import render_report
from imagewarden.report.interface import ReportContext
from imagewarden.report.sections import ReportSection

SECTION = ReportSection(
    key="vulnerabilities",
    title="Known vulnerabilities",
    template="table.html.j2",
    data={
        "intro": "CVEs matched to the inventory.",
        "tables": [
            {
                "caption": "Known exploited",
                "columns": ["CVE", "asset"],
                "rows": [["CVE-2017-0144", "<b>CT 1</b>"]],
            }
        ],
    },
)


def test_section_is_rendered_after_the_built_in_ones(
    context: ReportContext, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    render_report(dataclasses.replace(context, sections=(SECTION,)), "html", out)
    html = out.read_text(encoding="utf-8")
    assert 'href="#vulnerabilities">7 Known vulnerabilities' in html
    assert '<h2 id="vulnerabilities-h">7. Known vulnerabilities</h2>' in html
    assert "8. Appendix: method" in html
    assert (
        html.index('id="findings"') < html.index('id="vulnerabilities"') < html.index('id="method"')
    )
    assert "CVE-2017-0144" in html
    assert "&lt;b&gt;CT 1&lt;/b&gt;" in html  # section data is escaped like everything else


def test_section_data_is_exported_in_json(context: ReportContext, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    render_report(dataclasses.replace(context, sections=(SECTION,)), "json", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["sections"]["vulnerabilities"]["tables"][0]["rows"] == [
        ["CVE-2017-0144", "<b>CT 1</b>"]
    ]


def test_no_sections_keeps_the_numbering(context: ReportContext, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    render_report(context, "html", out)
    assert "7. Appendix: method" in out.read_text(encoding="utf-8")


def test_large_assessments_list_findings_grouped_by_weakness(
    context: ReportContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imagewarden.report import html as html_module

    monkeypatch.setattr(html_module, "DETAIL_LIMIT", 1)
    out = tmp_path / "r.html"
    render_report(context, "html", out)
    page = out.read_text(encoding="utf-8")
    assert "Grouped by weakness" in page
    current = [f for f in context.findings if f.status.value in ("open", "accepted")]
    biggest = max({f.title for f in current}, key=lambda t: sum(f.title == t for f in current))
    assert biggest in page
