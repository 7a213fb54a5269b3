from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from imagewarden.model import Severity
from imagewarden.render import charts
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
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "High" in texts and "17" in texts and "Low" in texts and "3" in texts


def test_stacked_bar_prints_totals_and_legend() -> None:
    legend = [Datum("High", 0, "#b9410c"), Datum("Low", 0, "#1f5fa8")]
    rows = [StackedRow("Main", (Datum("High", 4, "#b9410c"), Datum("Low", 6, "#1f5fa8")))]
    svg = stacked_bar_chart("Sites", rows, legend, chart_id="s")
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
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


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")

    def channel(pair: str) -> float:
        c = int(pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_severity_palette_is_colour_blind_safe() -> None:
    """Critical, high and medium differ in lightness, not only hue (what a colour-blind
    reader and a greyscale print can tell apart); badge text stays readable on each."""
    from imagewarden.render.labels import SEVERITY_COLOUR, SEVERITY_INK

    ranked = [SEVERITY_COLOUR[s] for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM)]
    for darker, lighter in itertools.pairwise(ranked):
        assert _contrast(darker, lighter) >= 1.8, (darker, lighter)
    assert _contrast(SEVERITY_COLOUR[Severity.HIGH], SEVERITY_COLOUR[Severity.MEDIUM]) >= 3
    assert len(set(SEVERITY_COLOUR.values())) == len(SEVERITY_COLOUR)
    for severity, colour in SEVERITY_COLOUR.items():
        assert _contrast(colour, SEVERITY_INK[severity]) >= 4.5, severity


def test_long_labels_wrap_and_are_never_cut() -> None:
    label = "Integration engines and interface servers of the regional imaging network"
    svg = charts.bar_chart(
        "t", [Datum(label, 3), Datum("B", 1)], chart_id="c", category_label="Kind",
        value_label="Findings",
    )  # fmt: skip
    assert "…" not in svg
    shown = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg))
    assert shown.split() == [*label.split(), "B"]
    assert svg.count('class="axis-label"') == 2
    legend = [Datum(f"Legend entry {i}", 0) for i in range(8)]
    stacked = charts.stacked_bar_chart(
        "t", [StackedRow("row", (Datum("x", 1),))], legend, chart_id="s", width=300
    )
    xs = [float(x) for x in re.findall(r'<rect x="([0-9.]+)" y="[0-9.]+" width="12"', stacked)]
    assert max(xs) + 12 <= 300
