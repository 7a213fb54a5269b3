"""A line chart of a value over assessments on a fixed scale (e.g. CSF tier 1-4).

The report's bar chart (report/charts.py) scales bars to the largest value, which would draw
an average tier of 2.5 as a full bar; a maturity trend needs the fixed 1-4 scale. This chart
follows the same conventions as report/charts.py: plain inline SVG, role="img", a <title>
and a <desc> listing every value, labels printed as text, and all caller text escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from imagewarden.render.charts import DEFAULT_COLOUR, FONT, MUTED, TEXT, TRACK


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def line_chart(
    title: str,
    points: Sequence[tuple[str, float]],
    *,
    chart_id: str,
    low: float,
    high: float,
    width: int = 420,
    height: int = 150,
    unit: str = "",
) -> str:
    """An inline SVG line chart of ``points`` (label, value) on the fixed ``low``-``high``
    scale."""
    left, right, top, bottom = 34.0, 16.0, 14.0, 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    desc = "; ".join(f"{label}: {value:g}{unit}" for label, value in points) or "no data"
    cid = "".join(c if c.isalnum() or c in "-_" else "-" for c in chart_id) or "chart"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" '
        f'style="max-width:100%;height:auto;font-family:{_e(FONT)};font-size:11px">'
        f'<title id="{cid}-title">{_e(title)}</title><desc id="{cid}-desc">{_e(desc)}</desc>'
    ]

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
    gap = plot_w / max(1, len(points) - 1) if len(points) > 1 else 0.0
    xs = [left + (gap * i if len(points) > 1 else plot_w / 2) for i in range(len(points))]
    path = " ".join(f"{x:.1f},{y(v):.1f}" for x, (_, v) in zip(xs, points, strict=True))
    parts.append(
        f'<polyline points="{path}" fill="none" stroke="{DEFAULT_COLOUR}" stroke-width="2.5"/>'
    )
    for x, (label, value) in zip(xs, points, strict=True):
        anchor = (
            "start"
            if x == xs[0] and len(xs) > 1
            else "end"
            if x == xs[-1] and len(xs) > 1
            else "middle"
        )
        parts.append(
            f"<g><title>{_e(label)}: {value:g}{_e(unit)}</title>"
            f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="4" fill="{DEFAULT_COLOUR}"/>'
            f'<text x="{x:.1f}" y="{y(value) - 8:.1f}" text-anchor="{anchor}" fill="{TEXT}" '
            f'font-weight="600">{value:g}{_e(unit)}</text>'
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}" fill="{MUTED}">'
            f"{_e(label)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
