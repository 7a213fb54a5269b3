"""A line chart of a value over time on a fixed scale (e.g. CSF tier 1-4, a rate 0-100 %).

The report's bar chart (render/charts.py) scales bars to the largest value, which would draw
an average tier of 2.5 as a full bar; a maturity trend needs the fixed 1-4 scale. Points sit
on a time axis: their distance is proportional to the days between them, so three
assessments a week apart and a fourth a year later do not look evenly spaced. This chart
follows the same conventions as render/charts.py: plain inline SVG, role="img", a <title>
and a <desc> listing every value, labels printed as text (a label that would overlap another
is left to the <title> and <desc>, never drawn over it or cut), and all caller text escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from imagewarden.render.charts import DEFAULT_COLOUR, FONT, MUTED, TEXT, TRACK

_CHAR_WIDTH = 6.2
"""Average advance of an 11 px system font, to keep labels apart."""


@dataclass(frozen=True, slots=True)
class TimePoint:
    """One value on one day; ``label`` names the day on the axis (the ISO date when empty)."""

    day: dt.date
    value: float
    label: str = ""

    @property
    def name(self) -> str:
        """What the axis and the description call this point."""
        return self.label or self.day.isoformat()


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _spread(days: Sequence[dt.date], left: float, width: float) -> list[float]:
    """x of each day: proportional to its distance from the first; one day sits mid-plot."""
    first, last = min(days), max(days)
    span = (last - first).days
    if span == 0:
        return [left + width / 2 for _ in days]
    return [left + width * (d - first).days / span for d in days]


def _anchor(x: float, left: float, right: float) -> str:
    if x <= left + 0.5 and right > left:
        return "start"
    return "end" if x >= right - 0.5 and right > left else "middle"


def _extent(x: float, anchor: str, text: str) -> tuple[float, float]:
    w = len(text) * _CHAR_WIDTH
    if anchor == "start":
        return x, x + w
    if anchor == "end":
        return x - w, x
    return x - w / 2, x + w / 2


def _free(extent: tuple[float, float], taken: list[tuple[float, float]]) -> bool:
    return all(extent[1] + 4 <= a or extent[0] >= b + 4 for a, b in taken)


def line_chart(
    title: str,
    points: Sequence[TimePoint],
    *,
    chart_id: str,
    low: float,
    high: float,
    width: int = 420,
    height: int = 150,
    unit: str = "",
    time_label: str = "",
    value_label: str = "",
) -> str:
    """An inline SVG line chart of ``points`` on the fixed ``low``-``high`` scale, placed on
    the x axis by date. ``time_label`` and ``value_label`` name the axes (printed when
    given, with the height growing to hold them)."""
    points = sorted(points, key=lambda p: p.day)
    axis_h = 16.0 if time_label else 0.0
    height = int(height + axis_h + (14 if value_label else 0))
    left, right = 34.0, 16.0
    top, bottom = 14.0 + (14 if value_label else 0), 30.0 + axis_h
    plot_w, plot_h = width - left - right, height - top - bottom
    desc = "; ".join(f"{p.name}: {p.value:g}{unit}" for p in points) or "no data"
    cid = "".join(c if c.isalnum() or c in "-_" else "-" for c in chart_id) or "chart"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" '
        f'style="max-width:100%;height:auto;font-family:{_e(FONT)};font-size:11px">'
        f'<title id="{cid}-title">{_e(title)}</title><desc id="{cid}-desc">{_e(desc)}</desc>'
    ]
    if value_label:
        parts.append(
            f'<text class="axis-label" x="4" y="12" fill="{MUTED}" font-weight="600">'
            f"{_e(value_label)}</text>"
        )
    if time_label:
        parts.append(
            f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 4:.0f}" '
            f'text-anchor="middle" fill="{MUTED}" font-weight="600">{_e(time_label)}</text>'
        )

    def y(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low) if high > low else 0.0
        return top + plot_h * (1 - share)

    steps = int(high - low) if float(high - low).is_integer() and high - low <= 10 else 4
    for i in range(steps + 1):
        tick = low + (high - low) * i / steps
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{TRACK}"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{tick:g}</text>'
        )
    if not points:
        parts.append(f'<text x="{left + 8}" y="{top + 20}" fill="{MUTED}">No data</text></svg>')
        return "".join(parts)
    xs = _spread([p.day for p in points], left, plot_w)
    path = " ".join(f"{x:.1f},{y(p.value):.1f}" for x, p in zip(xs, points, strict=True))
    parts.append(
        f'<polyline points="{path}" fill="none" stroke="{DEFAULT_COLOUR}" stroke-width="2.5"/>'
    )
    dates_taken: list[tuple[float, float]] = []
    values_taken: list[tuple[float, float, float]] = []
    # The latest and the first point are labelled first (they span the axis), then the others
    # from the latest back: when labels would collide, the later-placed one gives way.
    last = len(points) - 1
    order = [last, *([0] if last else []), *range(last - 1, 0, -1)]
    marks: dict[int, str] = {}
    for index in order:
        x, p = xs[index], points[index]
        anchor = _anchor(x, left, left + plot_w)
        value = f"{p.value:g}{unit}"
        vy = y(p.value) - 8
        mark = (
            f'<g class="point"><title>{_e(p.name)}: {_e(value)}</title>'
            f'<circle cx="{x:.1f}" cy="{y(p.value):.1f}" r="4" fill="{DEFAULT_COLOUR}"/>'
        )
        extent = _extent(x, anchor, value)
        near = [(a, b) for a, b, other_y in values_taken if abs(other_y - vy) < 12]
        if _free(extent, near):
            values_taken.append((*extent, vy))
            mark += (
                f'<text class="value" x="{x:.1f}" y="{vy:.1f}" text-anchor="{anchor}" '
                f'fill="{TEXT}" font-weight="600">{_e(value)}</text>'
            )
        extent = _extent(x, anchor, p.name)
        if _free(extent, dates_taken):
            dates_taken.append(extent)
            mark += (
                f'<text class="date" x="{x:.1f}" y="{height - 10 - axis_h:.0f}" '
                f'text-anchor="{anchor}" fill="{MUTED}">{_e(p.name)}</text>'
            )
        marks[index] = mark + "</g>"
    parts += [marks[i] for i in range(len(points))]
    parts.append("</svg>")
    return "".join(parts)
