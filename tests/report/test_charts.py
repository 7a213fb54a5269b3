from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from imagewarden.render.charts import (
    Datum,
    StackedRow,
    bar_chart,
    donut_chart,
    score_gauge,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & "quotes"'


def _charts() -> dict[str, str]:
    data = [Datum("Critical", 2, "#8b1a1a"), Datum(EVIL, 5), Datum("Zero", 0)]
    rows = [StackedRow(EVIL, tuple(data)), StackedRow("Empty site", ())]
    return {
        "bar": bar_chart(EVIL, data, chart_id="bar"),
        "stacked": stacked_bar_chart("By site", rows, data, chart_id="stacked"),
        "donut": donut_chart("By severity", data, chart_id="donut", centre_label=EVIL),
        "gauge": score_gauge(73, "C", EVIL, colour="#8a6100", chart_id="gauge"),
    }


@pytest.mark.parametrize("name", ["bar", "stacked", "donut", "gauge"])
def test_chart_is_accessible_well_formed_svg(name: str) -> None:
    svg = _charts()[name]
    root = ET.fromstring(svg)  # well-formed XML: every text was escaped
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{name}-title {name}-desc"
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "href" not in svg and "url(" not in svg


def test_values_are_printed_as_text_not_colour_alone() -> None:
    svg = bar_chart("Findings", [Datum("High", 17), Datum("Low", 3)], chart_id="c")
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "High" in texts and "17" in texts and "Low" in texts and "3" in texts


def test_stacked_bar_prints_totals_and_legend() -> None:
    legend = [Datum("High", 0, "#b9410c"), Datum("Low", 0, "#1f5fa8")]
    rows = [StackedRow("Main", (Datum("High", 4, "#b9410c"), Datum("Low", 6, "#1f5fa8")))]
    svg = stacked_bar_chart("Sites", rows, legend, chart_id="s")
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert {"High", "Low", "Main", "10", "4", "6"} <= set(texts)


def test_donut_shares_and_total() -> None:
    svg = donut_chart("d", [Datum("A", 1), Datum("B", 3)], chart_id="d")
    assert "(25%)" in svg and "(75%)" in svg
    assert ">4<" in svg


def test_empty_charts_render() -> None:
    assert "No data" in bar_chart("t", [], chart_id="e")
    assert "No data" in stacked_bar_chart("t", [], [], chart_id="e")
    ET.fromstring(donut_chart("t", [], chart_id="e"))
    ET.fromstring(score_gauge(0, "F", "Not ready", colour="#8b1a1a", chart_id="g"))


def test_colour_and_id_cannot_inject_markup() -> None:
    svg = bar_chart("t", [Datum("a", 1, 'red" onload="x')], chart_id='x" onclick="y')
    for element in ET.fromstring(svg).iter():
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
    assert 'fill="red"' not in svg
