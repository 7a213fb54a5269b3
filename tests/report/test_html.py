from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from imagewarden.report import render_report
from imagewarden.report.html import render_html
from imagewarden.report.interface import ReportContext

from .conftest import MALICIOUS_NAME

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
SVG_SELF_CLOSING = {"rect", "circle", "path", "line"}


class StructureChecker(HTMLParser):
    """Checks that every element is closed in order and records resource references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.resources: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in {"src", "href", "xlink:href", "data", "action", "srcset", "poster"}:
                self.resources.append((tag, name, value or ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "xlink:href"}:
                self.resources.append((tag, name, value or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def _parse(page: str) -> StructureChecker:
    checker = StructureChecker()
    checker.feed(page)
    checker.close()
    return checker


def test_html_structure_is_balanced(context: ReportContext) -> None:
    checker = _parse(render_html(context))
    assert checker.errors == []
    assert checker.stack == []
    assert checker.tags[0] == "html"
    for tag in ("head", "body", "main", "header", "footer", "table", "details"):
        assert tag in checker.tags
    assert len(checker.ids) == len(set(checker.ids)), "element ids are unique"


def test_executive_summary_comes_before_charts(context: ReportContext) -> None:
    page = render_html(context)
    summary = page.index('id="summary"')
    charts = page.index('id="charts"')
    assert summary < charts
    assert page.index("Overall cybersecurity readiness is") < charts
    order = ["summary", "charts", "top-risks", "end-of-life", "plan", "findings", "method"]
    positions = [page.index(f'<section id="{name}"') for name in order]
    assert positions == sorted(positions)


def test_page_is_self_contained(context: ReportContext) -> None:
    page = render_html(context)
    checker = _parse(page)
    assert "script" not in checker.tags
    assert "link" not in checker.tags and "img" not in checker.tags
    assert "iframe" not in checker.tags
    for tag, attr, value in checker.resources:
        assert value.startswith("#"), f"<{tag} {attr}={value!r}> leaves the page"
    assert not re.search(r"url\(|@import|@font-face", page)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)


def test_page_has_three_or_more_svg_charts(context: ReportContext) -> None:
    page = render_html(context)
    assert page.count("<svg") >= 4  # gauge + severity, site, layer, category
    assert page.count('role="img"') == page.count("<svg")


def test_malicious_asset_name_is_escaped(context: ReportContext) -> None:
    page = render_html(context)
    assert MALICIOUS_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()


def test_header_and_appendix(context: ReportContext) -> None:
    page = render_html(context)
    assert context.title in page or "Imaging cybersecurity readiness" in page
    assert context.catalog.version in page or (
        context.assessment is not None and context.assessment.catalog_version in page
    )
    assert "Main Hospital" in page
    assert "Readiness = 100" in page  # the formula is shown
    assert "@media print" in page


def test_risk_factors_and_refs_shown(context: ReportContext) -> None:
    page = render_html(context)
    top = context.findings[0]
    for factor in top.risk.factors:
        assert factor.reason in page
    assert "<details" in page
    safeguard = context.catalog.safeguards[top.safeguards[0]]
    assert safeguard.refs[0].id in page


def test_resolved_findings_listed_separately(context: ReportContext) -> None:
    page = render_html(context)
    assert "Resolved (mitigated or false positive)" in page
    top_risks = page[page.index('id="top-risks"') : page.index('id="end-of-life"')]
    assert "#4<" not in top_risks  # the mitigated finding (score 99) is not a top risk


def test_sample_written(context: ReportContext) -> None:
    """Also leaves a sample at /tmp/iw-report-sample.html for a human look."""
    render_report(context, "html", Path("/tmp/iw-report-sample.html"))
    assert Path("/tmp/iw-report-sample.html").stat().st_size > 10_000
