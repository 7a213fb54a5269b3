"""The printed documents (WeasyPrint PDFs, read back with pypdf): a large assessment prints
as a summary with findings grouped by weakness, no table row splits across pages in the
report, the IR plan, the tabletop package or the after-action report, and the board page's
trend chart is readable on paper and says what it measures."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pypdf
import pytest

from imagewarden.catalog import Catalog
from imagewarden.contracts import ReportSection
from imagewarden.model import FactValue, Severity
from imagewarden.render.pdf import html_to_pdf
from imagewarden.report import render_report
from imagewarden.report.board import write_board
from imagewarden.report.html import PRINT_DETAIL_LIMIT, render_html
from imagewarden.report.interface import ReportContext
from tests.cli_runner import expect
from tests.report.conftest import _finding
from tests.report.pdf_rows import page_texts, split_rows, squeeze

pytestmark = pytest.mark.slow

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def _many_findings(context: ReportContext, catalog: Catalog, count: int) -> ReportContext:
    """``context`` with ``count`` more current findings spread over its assets."""
    assets = list(context.assets)
    extra = tuple(
        _finding(
            catalog,
            100 + i,
            assets[i % len(assets)],
            assets[i % len(assets)].site_id,
            SEVERITIES[i % len(SEVERITIES)],
            90 - i % 80,
        )
        for i in range(count)
    )
    return dataclasses.replace(context, findings=context.findings + extra)


def test_large_assessment_prints_a_summary_not_hundreds_of_pages(
    context: ReportContext, catalog: Catalog, tmp_path: Path
) -> None:
    large = _many_findings(context, catalog, 600)
    out = tmp_path / "report.pdf"
    render_report(large, "pdf", out)
    pages = page_texts(out)
    # bounded by the weaknesses found at each site, not by the findings (old: ~1 page per 3)
    assert len(pages) <= 60, len(pages)
    text = "".join(pages)
    assert squeeze("Grouped by weakness") in text
    assert squeeze(f"has {len(large.findings)} findings") in text
    assert split_rows(render_html(large, printed=True), out) == []
    # on screen every finding stays listed one by one; a browser prints the grouped form
    page = render_html(large)
    assert all(f.id in page for f in large.findings)
    assert 'class="table-wrap print-only"' in page and "screen-only" in page


def test_small_assessment_prints_every_finding_and_no_row_splits(
    context: ReportContext, tmp_path: Path
) -> None:
    # tall rows (long evidence), so that page breaks fall inside the findings tables
    evidence: dict[str, FactValue] = {f"line.{n:02d}": "seen" for n in range(12)}
    findings = tuple(
        dataclasses.replace(f, evidence={**evidence, "zz.end": f"row-end-{i}"})
        for i, f in enumerate(context.findings)
    )
    tall = dataclasses.replace(context, findings=findings)
    assert len(findings) <= PRINT_DETAIL_LIMIT
    out = tmp_path / "report.pdf"
    render_report(tall, "pdf", out)
    pages = page_texts(out)
    holding = {i for i, p in enumerate(pages) if "row-end-" in p}
    assert len(holding) >= 2  # the findings run over more than one page
    for i, f in enumerate(findings):
        on = [n for n, p in enumerate(pages) if f.id in p and f"row-end-{i}" in p]
        assert on, f"finding {f.id} and the end of its row are not on one page"
    assert split_rows(render_html(tall, printed=True), out) == []


def test_report_command_writes_a_pdf(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    inventory = tmp_path / "assets.csv"
    inventory.write_text(
        "id,site,name,type,os,os_version,ip_addresses,network_zone,criticality\n"
        "CT-1,North Hospital,CT 1,CT,Windows 7,SP1,10.20.0.11,clinical,critical\n",
        encoding="utf-8",
    )
    expect(0, "init", db=db)
    expect(0, "import", "inventory", inventory, db=db)
    expect(0, "assess", db=db)
    out = tmp_path / "report.pdf"
    ran = expect(0, "report", "--format", "pdf", "-o", out, db=db)
    assert ran.stdout.strip() == str(out)
    assert squeeze("1. Executive summary") in "".join(page_texts(out))


def _text_sizes(pdf: Path) -> list[tuple[float, str]]:
    """(printed size in points, text) of every text run on the first page."""
    sizes: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            sizes.append((abs(size * tm[3] * cm[3]), text.strip()))

    pypdf.PdfReader(pdf).pages[0].extract_text(visitor_text=visit)
    return sizes


def test_board_trend_chart_is_readable_on_paper(context: ReportContext, tmp_path: Path) -> None:
    from imagewarden.governance.maturity import trend_chart

    chart = trend_chart(
        [
            (dt.date(2026, 3, 8), 1.62),
            (dt.date(2026, 6, 7), 2.25),
            (dt.date(2026, 9, 6), 2.67),
            (dt.date(2026, 12, 6), 2.62),
        ],
        chart_id="board-maturity",
        title="Average CSF tier, last four assessments",
    )
    panel = ReportSection(
        key="governance-trend",
        title="Trend",
        template="governance/board.html.j2",
        data={"maturity_chart": chart, "tiers": [], "clicks": [], "completion": []},
    )
    board = dataclasses.replace(
        context, sections=(panel,), templates={"governance": "imagewarden.governance"}
    )
    html, pdf = tmp_path / "board.html", tmp_path / "board.pdf"
    write_board(board, html, pdf)
    assert len(pypdf.PdfReader(pdf).pages) == 1
    sizes = _text_sizes(pdf)
    chart_texts = [(s, t) for s, t in sizes if t in {"2026-03-08", "1.62", "2.62", "4"}]
    assert len(chart_texts) >= 4, sizes
    small = [(round(s, 2), t) for s, t in sizes if s < 8]
    assert small == []
    assert squeeze("average NIST CSF tier") in squeeze(pypdf.PdfReader(pdf).pages[0].extract_text())


@pytest.mark.parametrize("name", ["ir-plan", "tabletop", "after-action"])
def test_resilience_documents_never_split_a_row(
    resilience_documents: Path, tmp_path: Path, name: str
) -> None:
    html = (resilience_documents / f"{name}.html").read_text(encoding="utf-8")
    pdf = tmp_path / f"{name}.pdf"
    html_to_pdf(html, pdf)
    assert split_rows(html, pdf) == []


def test_tabletop_names_systems_in_peoples_words(resilience_documents: Path) -> None:
    import re

    html = (resilience_documents / "tabletop.html").read_text(encoding="utf-8")
    cast = html[html.index("Systems in play") : html.index("Ground rules")]
    heads = re.findall(r'<th scope="row">([^<]+)</th>', cast)
    assert "Imaging device" in heads and "Radiology information system (RIS)" in heads
    assert not {"ai", "ris", "archive", "modality", "cloud"} & set(heads)
    # the demo's ransomware night opens on an emergency device, not on the DEXA unit
    assert "DEXA" not in cast


def _style_blocks(html: str) -> list[str]:
    import re

    return [css.strip() for css in re.findall(r"<style>(.*?)</style>", html, flags=re.S)]


def test_resilience_documents_share_the_report_stylesheet(
    resilience_documents: Path, context: ReportContext
) -> None:
    report = _style_blocks(render_html(context))
    assert len(report) == 1 and "@media print" in report[0] and "break-inside: avoid" in report[0]
    for name in ("ir-plan", "tabletop", "after-action"):
        html = (resilience_documents / f"{name}.html").read_text(encoding="utf-8")
        assert _style_blocks(html) == report, name
        assert 'class="masthead"' in html and 'class="table-wrap"' in html
