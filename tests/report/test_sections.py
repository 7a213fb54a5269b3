"""Sections contributed by other capabilities appear in the HTML and JSON reports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

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
