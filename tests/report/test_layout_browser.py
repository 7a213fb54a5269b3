"""The demo's readiness report, IR plan, tabletop package and after-action report in a real
browser (Debian's chromium, headless): nothing overflows the page horizontally at a phone, a
laptop and a wide screen, the navigation wraps, and no chart label is cut.

Uses Playwright for Python with the system chromium (never ``playwright install``); skipped
when chromium is not installed (scripts/system-deps test installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imagewarden.app.reports import ReportFormat, write_board, write_report
from imagewarden.model import UserInputError
from tests.report.conftest import demo_workspace

CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (420, 1280, 1920)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo enterprise's report (inventory, feeds, governance, resilience; no lab)."""
    from imagewarden.app.assessment import assess

    folder = tmp_path_factory.mktemp("layout")
    try:
        from imagewarden.demo.run import run_demo

        return run_demo(folder / "demo").report
    except (UserInputError, OSError):  # pragma: no cover - the lab's ports may be busy
        pass
    with demo_workspace(folder) as workspace:
        assess(workspace)
        out = folder / "report.html"
        write_report(workspace, ReportFormat.HTML, out)
        write_board(workspace, folder, enterprise="Demo", pdf=False)
    return out


@pytest.fixture(scope="module")
def browser(demo_report: Path) -> Iterator[Any]:
    """Chromium, started after the report is written: Playwright's sync API runs an event
    loop of its own, in which the demo's discovery (asyncio.run) could not run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


MEASURE = """() => {
  const doc = document.documentElement;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > doc.clientWidth + 1 && el.closest('.table-wrap') === null) {
      wide.push(el.tagName + '.' + el.className + ' ' + (el.textContent || '').slice(0, 40));
    }
  }
  const nav = document.querySelector('nav.toc');
  return {scroll: doc.scrollWidth, client: doc.clientWidth, wide: wide.slice(0, 5),
          navRight: nav ? nav.getBoundingClientRect().right : 0};
}"""

CUT_LABELS = """() => {
  const cut = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.viewBox.baseVal;
    const drawn = [];
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      const outside = b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5
        || b.y < box.y - 0.5 || b.y + b.height > box.y + box.height + 0.5;
      const name = svg.getAttribute('aria-labelledby') + ': ' + t.textContent;
      if (t.textContent.includes('…') || outside) cut.push('cut ' + name);
      for (const [other, o] of drawn) {  // a label drawn over another hides both
        const overlap = Math.min(b.x + b.width, o.x + o.width) - Math.max(b.x, o.x) > 1
          && Math.min(b.y + b.height, o.y + o.height) - Math.max(b.y, o.y) > 1;
        if (overlap && !t.contains(other) && !other.contains(t)) cut.push('over ' + name);
      }
      drawn.push([t, b]);
    }
  }
  return cut;
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_horizontal_overflow(browser: Any, demo_report: Path, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(demo_report.as_uri())
        measured = page.evaluate(MEASURE)
        assert measured["scroll"] <= measured["client"], measured
        assert measured["navRight"] <= measured["client"], measured
        assert page.evaluate(CUT_LABELS) == []
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["ir-plan", "tabletop", "after-action"])
def test_resilience_documents_do_not_overflow(
    browser: Any, resilience_documents: Path, name: str, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto((resilience_documents / f"{name}.html").as_uri())
        measured = page.evaluate(MEASURE)
        assert measured["scroll"] <= measured["client"], measured
        assert measured["navRight"] <= measured["client"], measured
        # the shared stylesheet applies: the page is laid out like the readiness report
        assert page.evaluate("getComputedStyle(document.querySelector('.page')).maxWidth") == (
            "1120px"
        )
    finally:
        page.close()


def test_board_page_charts_are_whole(browser: Any, demo_report: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto((demo_report.parent / "board.html").as_uri())
        assert page.evaluate("document.querySelectorAll('svg.chart').length") >= 1
        assert page.evaluate(CUT_LABELS) == []
    finally:
        page.close()


def test_every_chart_has_a_title_and_axis_labels(browser: Any, demo_report: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(demo_report.as_uri())
        charts = page.evaluate(
            """() => [...document.querySelectorAll('#charts svg.chart')].map(svg => ({
                 caption: svg.closest('figure')?.querySelector('figcaption')?.textContent || '',
                 axes: [...svg.querySelectorAll('.axis-label')].map(t => t.textContent)}))"""
        )
        assert len(charts) >= 4
        for chart in charts:
            assert chart["caption"].strip()
        bars = [c for c in charts if c["axes"]]
        assert len(bars) >= 3, charts  # the bar charts name what each axis shows
        for chart in bars:
            assert len(chart["axes"]) == 2 and all(a.strip() for a in chart["axes"]), chart
    finally:
        page.close()


def test_culture_columns_align_with_their_headers(browser: Any, demo_report: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(demo_report.as_uri())
        table = page.evaluate(
            """() => {
                 const t = document.querySelector('table.culture');
                 if (!t) return null;
                 const left = c => Math.round(c.getBoundingClientRect().left);
                 return {heads: [...t.querySelectorAll('thead th')].map(left),
                         rows: [...t.querySelectorAll('tbody tr')].map(
                           r => [...r.children].map(left))};
               }"""
        )
        assert table is not None and table["rows"], "no culture table in the demo report"
        for row in table["rows"]:
            assert row == table["heads"]
    finally:
        page.close()


def test_every_table_names_sites_the_same_way(browser: Any, demo_report: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(demo_report.as_uri())
        found = page.evaluate(
            """() => {
                 const names = [...document.querySelectorAll('details.site > summary')]
                   .map(s => s.textContent.split(' — ')[0].trim());
                 const cells = [];
                 for (const t of document.querySelectorAll('main table')) {
                   if (!t.tHead || !t.tHead.rows.length) continue;
                   const heads = [...t.tHead.rows[0].cells].map(
                     h => h.textContent.trim().toLowerCase());
                   const col = heads.indexOf('site');
                   if (col < 0) continue;
                   for (const body of t.tBodies) {
                     for (const r of body.rows) {
                       const cell = r.cells[col];
                       if (cell) cells.push(cell.textContent.trim());
                     }
                   }
                 }
                 return {names, cells};
               }"""
        )
        assert found["names"] and found["cells"]
        assert set(found["cells"]) <= set(found["names"]), set(found["cells"]) - set(found["names"])
    finally:
        page.close()


def test_demo_report_wording(demo_report: Path) -> None:
    import re

    page = demo_report.read_text(encoding="utf-8")
    assert not re.search(r"\b0\.0 h\b", page)
    assert not re.search(r"\b0 [^<.]{0,60} listed separately", page)


def test_printing_the_page_gives_a_summary_not_hundreds_of_pages(
    browser: Any, demo_report: Path, tmp_path: Path
) -> None:
    import pypdf

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(demo_report.as_uri())
        page.emulate_media(media="print")
        out = tmp_path / "printed.pdf"
        out.write_bytes(page.pdf(format="A4"))
    finally:
        page.close()
    assert len(pypdf.PdfReader(out).pages) <= 80  # the demo printed as 269 pages before
