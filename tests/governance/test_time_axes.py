"""Charts over time place their points by date: the maturity trend (report section and
`maturity --chart`), the phishing click rate per quarter and the web dashboard's trend. Read
back from the SVG, the x distance between two points is proportional to the days between
them, and a label that would overlap another is not drawn over it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tests.cli_runner import expect
from tests.governance.conftest import DATA

from imagewarden.catalog import Catalog
from imagewarden.governance.culture import read_gophish_csv
from imagewarden.governance.interface import AnswerRecord
from imagewarden.governance.maturity import maturity, snapshot_rows, trend_chart
from imagewarden.governance.overview import governance_data
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import AssessmentRun
from imagewarden.model.checklist import Answer
from imagewarden.store import Store
from imagewarden.web.charts import trend_bars

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2026, 1, 5)
# three assessments a week apart, then one a year later
DAYS = (DAY, DAY + dt.timedelta(days=7), DAY + dt.timedelta(days=14), DAY + dt.timedelta(365))


def _points(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    return [float(c.attrib["cx"]) for c in root.iter(f"{SVG}circle")]


def _texts(svg: str, kind: str) -> list[tuple[float, str]]:
    root = ET.fromstring(svg)
    return [
        (float(t.attrib["x"]), t.text or "")
        for t in root.iter(f"{SVG}text")
        if t.attrib.get("class") == kind
    ]


def assert_spaced_by_date(xs: list[float], days: list[dt.date]) -> None:
    assert len(xs) == len(days) > 2
    span_x, span_days = xs[-1] - xs[0], (days[-1] - days[0]).days
    for x, day in zip(xs, days, strict=True):
        assert (x - xs[0]) / span_x == pytest.approx((day - days[0]).days / span_days, abs=0.01)


def _record_history(store: Store, catalog: Catalog) -> None:
    gov = GovernanceStore(store)
    gov.add_answers([AnswerRecord("north", "exec-01", Answer.YES, "o", "e", DAY)],
                    actor="t", action="answer", target="north")  # fmt: skip
    for day in DAYS:
        gov.record_maturity(snapshot_rows(maturity(catalog, [], ["north"], day), day), actor="t")


def test_maturity_trend_places_assessments_by_date(store: Store, catalog: Catalog) -> None:
    _record_history(store, catalog)
    data = governance_data(store, catalog, DAYS[-1], findings=[], site_ids=["north"])
    assert data is not None
    svg = data["maturity_chart"]
    assert_spaced_by_date(_points(svg), list(DAYS))
    # the week-apart dates would overlap: the first and the last are drawn (they span the
    # axis), one in between gives way, and every date is in <desc>
    dates = [text for _x, text in _texts(svg, "date")]
    assert dates[0] == DAYS[0].isoformat() and dates[-1] == DAYS[-1].isoformat()
    assert len(dates) < len(DAYS)
    assert all(d.isoformat() in svg for d in DAYS)
    # the axes say what they show
    axes = [text for _x, text in _texts(svg, "axis-label")]
    assert "Assessment date" in axes and any("tier" in a for a in axes)


def test_labels_never_overlap_or_leave_the_chart() -> None:
    svg = trend_chart([(d, 1 + i / 2) for i, d in enumerate(DAYS)], chart_id="t", title="T")
    width = float(ET.fromstring(svg).attrib["width"])
    for kind in ("date", "value"):
        xs = [x for x, _text in _texts(svg, kind)]
        assert xs and all(0 <= x <= width for x in xs)
    dates = sorted(_texts(svg, "date"))
    for (x1, t1), (x2, _t2) in itertools.pairwise(dates):
        assert x2 - x1 >= len(t1) * 5  # ISO dates of 10 characters stay apart


def test_maturity_chart_command_spaces_points_by_date(tmp_path: Path) -> None:
    from tests.factories import asset, inventory

    from imagewarden.app import open_store
    from imagewarden.app.workspace import load_catalog

    db = str(tmp_path / "iw.db")
    with open_store(db, create=True) as store:
        store.save_inventory(inventory(asset("CT-1", "north")))
        _record_history(store, load_catalog(None))
    chart = tmp_path / "trend.svg"
    expect(0, "maturity", "--chart", chart, db=db)
    assert_spaced_by_date(_points(chart.read_text(encoding="utf-8")), list(DAYS))


def test_click_rate_per_quarter_leaves_a_gap_for_a_quarter_without_campaign(
    store: Store, catalog: Catalog
) -> None:
    template = read_gophish_csv(DATA / "gophish-results.csv")
    gov = GovernanceStore(store)
    launched = (dt.date(2025, 2, 3), dt.date(2025, 5, 5), dt.date(2025, 11, 3))  # no Q3
    for n, day in enumerate(launched):
        moved = day - template.launched_on
        results = tuple(
            dataclasses.replace(r, sent_at=r.sent_at + moved if r.sent_at else None)
            for r in template.results
        )
        campaign = dataclasses.replace(
            template, id=f"c{n}", name=f"Campaign {n}", launched_on=day, results=results
        )
        gov.save_campaign(campaign, actor="t")
    data = governance_data(store, catalog, dt.date(2025, 12, 1), findings=[], site_ids=["north"])
    assert data is not None
    svg = data["click_chart"]
    quarter_ends = [dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 12, 31)]
    assert_spaced_by_date(_points(svg), quarter_ends)
    assert [t for _x, t in _texts(svg, "date")] == ["2025-Q1", "2025-Q2", "2025-Q4"]


def test_dashboard_trend_bars_stand_where_their_assessment_finished() -> None:
    start = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    finished = [start, start + dt.timedelta(days=1), start + dt.timedelta(days=2),
                start + dt.timedelta(days=40)]  # fmt: skip
    runs = [
        AssessmentRun(n, at - dt.timedelta(minutes=5), at, "v", 10, 5 + n, 0, 0)
        for n, at in enumerate(finished)
    ]
    bars = trend_bars(runs)
    assert_spaced_by_date([b.x for b in bars], [at.date() for at in finished])
    assert all(b.x >= 0 and b.x + b.width <= 480 for b in bars)
