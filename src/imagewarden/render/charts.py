"""Small SVG charts for self-contained reports: horizontal bars, stacked bars, donut, gauge.

Every chart is a plain string of SVG with inline presentation attributes: no script, no
external font or image, so it works offline, prints, and passes strict content policies.
Each has role="img", a <title> and a <desc> listing every value, and prints its labels and
values as text, so nothing is told by colour alone. All caller text is escaped here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
TEXT = "#1f2933"
MUTED = "#5a6270"
TRACK = "#e4e7eb"
DEFAULT_COLOUR = "#2f5d8a"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")
_ID = re.compile(r"[^A-Za-z0-9_-]")
_CHAR_WIDTH = 6.6  # average advance of a 12 px system font, to size label columns


@dataclass(frozen=True, slots=True)
class Datum:
    """One labelled value: a bar, a segment of a stacked bar or a slice of a donut."""

    label: str
    value: float
    colour: str = DEFAULT_COLOUR


@dataclass(frozen=True, slots=True)
class StackedRow:
    """One bar of a stacked bar chart: a label and its segments."""

    label: str
    segments: tuple[Datum, ...]

    @property
    def total(self) -> float:
        """The sum of the segments."""
        return sum(s.value for s in self.segments)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _colour(value: str) -> str:
    """Only literal hex colours reach an attribute, whatever the caller passed."""
    return value if _COLOUR.match(value) else DEFAULT_COLOUR


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


LINE = 14.0
"""Height of one line of label text (12 px font)."""


def _lines(text: str, width: float) -> list[str]:
    """``text`` wrapped to lines of about ``width`` pixels, at spaces where it can be; a word
    longer than a line is split, never cut: every character of a label stays visible."""
    limit = max(4, int(width / _CHAR_WIDTH))
    lines: list[str] = []
    current = ""
    for word in text.split() or [""]:
        while len(word) > limit:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def _label_width(labels: Iterable[str], cap: float = 200.0) -> float:
    """Width of the label column: the longest label plus a margin, within 60 px and ``cap``
    (longer labels wrap onto more lines)."""
    longest = max((len(label) for label in labels), default=4)
    return min(cap, max(60.0, longest * _CHAR_WIDTH + 8))


def _row_height(lines: int, bar: float) -> float:
    return max(bar, lines * LINE + 4)


def _label_text(lines: Sequence[str], x: float, mid: float, *, anchor: str = "end") -> str:
    """Lines of a label, vertically centred on ``mid``."""
    first = mid + 4 - (len(lines) - 1) * LINE / 2
    spans = "".join(
        f'<tspan x="{x:.0f}" y="{first + i * LINE:.1f}">{_e(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text text-anchor="{anchor}" fill="{TEXT}">{spans}</text>'


def _axis_labels(
    category_label: str,
    value_label: str,
    label_w: float,
    track_x: float,
    track_w: float,
    top: float,
    bottom: float,
) -> tuple[str, str]:
    """(header text above the label column, axis text below the bars)."""
    head = (
        f'<text class="axis-label" x="4" y="{top - 6:.0f}" text-anchor="start" '
        f'fill="{MUTED}" font-weight="600">{_e(category_label)}</text>'
        if category_label
        else ""
    )
    foot = (
        f'<text class="axis-label" x="{track_x + track_w / 2:.1f}" y="{bottom + 14:.0f}" '
        f'text-anchor="middle" fill="{MUTED}" font-weight="600">{_e(value_label)}</text>'
        if value_label
        else ""
    )
    return head, foot  # fmt: skip


def ink_on(colour: str) -> str:
    """White or dark text, whichever reads better on ``colour`` (WCAG relative luminance)."""
    value = _colour(colour).lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value[i : i + 2]) for i in (0, 2, 4))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if (1.05 / (luminance + 0.05)) >= ((luminance + 0.05) / 0.05) else TEXT


def _open(chart_id: str, title: str, desc: str, width: float, height: float) -> str:
    cid = _ID.sub("-", chart_id) or "chart"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'aria-labelledby="{cid}-title {cid}-desc" '
        f'style="max-width:100%;height:auto;font-family:{_e(FONT)};font-size:12px">'
        f'<title id="{cid}-title">{_e(title)}</title>'
        f'<desc id="{cid}-desc">{_e(desc)}</desc>'
    )


def _describe(data: Sequence[Datum]) -> str:
    return "; ".join(f"{d.label}: {_num(d.value)}" for d in data) or "no data"


def bar_chart(
    title: str,
    bars: Sequence[Datum],
    *,
    chart_id: str,
    width: int = 560,
    unit: str = "",
    category_label: str = "",
    value_label: str = "",
) -> str:
    """Horizontal bars, one row per datum, with the label left and the value right of the bar.

    ``category_label`` heads the label column and ``value_label`` names the value axis below
    the bars; long labels wrap onto more lines instead of being cut.
    """
    bar, gap = 22.0, 8.0
    label_w = _label_width(b.label for b in bars)
    value_w = 48 + len(unit) * _CHAR_WIDTH
    track_w = max(40.0, width - label_w - value_w - 16)
    top_value = max((b.value for b in bars), default=0) or 1
    head_h = 20.0 if category_label else 0.0
    labels = [_lines(b.label, label_w - 8) for b in bars]
    heights = [_row_height(len(lines), bar) for lines in labels]
    body = sum(h + gap for h in heights) if bars else bar + gap
    foot_h = 22.0 if value_label else 0.0
    height = head_h + gap + body + foot_h
    parts = [_open(chart_id, title, _describe(bars), width, height)]
    y = head_h + gap
    for item, lines, row in zip(bars, labels, heights, strict=True):
        by = y + (row - bar) / 2
        w = track_w * max(0.0, item.value) / top_value
        value = _num(item.value) + (f" {unit}" if unit else "")
        parts.append(
            f"<g><title>{_e(item.label)}: {_e(value)}</title>"
            + _label_text(lines, label_w, y + row / 2)
            + f'<rect x="{label_w + 8:.0f}" y="{by:.1f}" width="{track_w:.1f}" height="{bar}" '
            f'rx="3" fill="{TRACK}"/>'
            f'<rect x="{label_w + 8:.0f}" y="{by:.1f}" width="{w:.1f}" height="{bar}" rx="3" '
            f'fill="{_colour(item.colour)}"/>'
            f'<text x="{label_w + 14 + track_w:.1f}" y="{by + bar * 0.68:.1f}" fill="{TEXT}" '
            f'font-weight="600">{_e(value)}</text></g>'
        )
        y += row + gap
    if not bars:
        parts.append(f'<text x="8" y="{head_h + 20:.0f}" fill="{MUTED}">No data</text>')
    head, foot = _axis_labels(
        category_label, value_label, label_w, label_w + 8, track_w, head_h + gap, y
    )
    parts += [head, foot, "</svg>"]
    return "".join(parts)


def _legend(items: Sequence[Datum], y: float, x0: float, right: float) -> tuple[str, float]:
    """Legend entries from ``x0``, wrapping onto a new line before ``right``; returns the
    SVG and the y below the last line."""
    parts, x = [], x0
    for item in items:
        step = 28 + len(item.label) * _CHAR_WIDTH
        if x > x0 and x + step - 12 > right:
            x, y = x0, y + 18
        parts.append(
            f'<rect x="{x:.0f}" y="{y}" width="12" height="12" rx="2" '
            f'fill="{_colour(item.colour)}"/>'
            f'<text x="{x + 16:.0f}" y="{y + 10}" fill="{TEXT}">{_e(item.label)}</text>'
        )
        x += step
    return "".join(parts), y + 18


def _row_desc(row: StackedRow) -> str:
    parts = ", ".join(f"{s.label} {_num(s.value)}" for s in row.segments if s.value)
    return f"{row.label}: {_num(row.total)}" + (f" ({parts})" if parts else "")


def stacked_bar_chart(
    title: str,
    rows: Sequence[StackedRow],
    legend: Sequence[Datum],
    *,
    chart_id: str,
    width: int = 560,
    category_label: str = "",
    value_label: str = "",
) -> str:
    """One horizontal bar per row, split into segments; counts are printed in the segments
    wide enough to hold them, each row's total at its end, and a legend above.

    ``category_label`` heads the label column and ``value_label`` names the value axis below
    the bars; long labels wrap instead of being cut.
    """
    bar, gap = 22.0, 8.0
    label_w = _label_width(r.label for r in rows)
    track_w = max(40.0, width - label_w - 64)
    top_value = max((r.total for r in rows), default=0) or 1
    desc = "; ".join(_row_desc(r) for r in rows)
    legend_svg, legend_bottom = _legend(legend, 4, label_w + 8, width - 4)
    head_h = legend_bottom + (18.0 if category_label else 0.0)
    labels = [_lines(r.label, label_w - 8) for r in rows]
    heights = [_row_height(len(lines), bar) for lines in labels]
    body = sum(h + gap for h in heights) if rows else bar + gap
    foot_h = 22.0 if value_label else 0.0
    height = head_h + gap + body + foot_h
    parts = [_open(chart_id, title, desc or "no data", width, height), legend_svg]
    y = head_h + gap
    for r, lines, row in zip(rows, labels, heights, strict=True):
        by = y + (row - bar) / 2
        x = label_w + 8
        parts.append(
            f"<g><title>{_e(r.label)}: {_e(_num(r.total))}</title>"
            + _label_text(lines, label_w, y + row / 2)
            + f'<rect x="{x:.0f}" y="{by:.1f}" width="{track_w:.1f}" height="{bar}" rx="3" '
            f'fill="{TRACK}"/></g>'
        )
        for seg in r.segments:
            if seg.value <= 0:
                continue
            w = track_w * seg.value / top_value
            parts.append(
                f"<g><title>{_e(r.label)} — {_e(seg.label)}: {_e(_num(seg.value))}</title>"
                f'<rect x="{x:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bar}" '
                f'fill="{_colour(seg.colour)}" stroke="#ffffff" stroke-width="1"/>'
            )
            if w >= 8 + len(_num(seg.value)) * _CHAR_WIDTH:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{by + bar * 0.68:.1f}" text-anchor="middle" '
                    f'fill="{ink_on(seg.colour)}" font-weight="600">{_e(_num(seg.value))}</text>'
                )
            parts.append("</g>")
            x += w
        parts.append(
            f'<text x="{label_w + 14 + track_w:.1f}" y="{by + bar * 0.68:.1f}" fill="{TEXT}" '
            f'font-weight="600">{_e(_num(r.total))}</text>'
        )
        y += row + gap
    if not rows:
        parts.append(f'<text x="8" y="{head_h + 20:.0f}" fill="{MUTED}">No data</text>')
    head, foot = _axis_labels(
        category_label, value_label, label_w, label_w + 8, track_w, head_h + gap, y
    )
    parts += [head, foot, "</svg>"]
    return "".join(parts)


def _ring(
    cx: float,
    cy: float,
    r: float,
    stroke: float,
    colour: str,
    start: float,
    fraction: float,
    label: str,
) -> str:
    """One arc of a ring, drawn as a dashed circle starting at 12 o'clock."""
    length = 2 * math.pi * r
    dash = length * fraction
    return (
        f"<g><title>{_e(label)}</title>"
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{_colour(colour)}" '
        f'stroke-width="{stroke}" stroke-dasharray="{dash:.2f} {length - dash + 0.01:.2f}" '
        f'stroke-dashoffset="{-length * start:.2f}" '
        f'transform="rotate(-90 {cx} {cy})"/></g>'
    )


def donut_chart(
    title: str,
    slices: Sequence[Datum],
    *,
    chart_id: str,
    centre_label: str = "total",
    width: int = 420,
) -> str:
    """A ring of slices with the total in the centre and a legend of label, value and share."""
    size, stroke = 160, 28
    cx = cy = size / 2
    r = (size - stroke) / 2 - 2
    total = sum(max(0.0, s.value) for s in slices)
    height = max(size, 24 * len(slices) + 16)
    parts = [_open(chart_id, title, _describe(slices), width, height)]
    parts.append(
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{TRACK}" '
        f'stroke-width="{stroke}"/>'
    )
    start = 0.0
    for s in slices:
        if s.value <= 0 or total <= 0:
            continue
        fraction = s.value / total
        parts.append(
            _ring(cx, cy, r, stroke, s.colour, start, fraction, f"{s.label}: {_num(s.value)}")
        )
        start += fraction
    parts.append(
        f'<text x="{cx}" y="{cy + 4}" text-anchor="middle" font-size="26" font-weight="700" '
        f'fill="{TEXT}">{_e(_num(total))}</text>'
        f'<text x="{cx}" y="{cy + 22}" text-anchor="middle" fill="{MUTED}">'
        f"{_e(centre_label)}</text>"
    )
    x = size + 20
    for i, s in enumerate(slices):
        y = 12 + i * 24
        share = f"{100 * s.value / total:.0f}%" if total else "0%"
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" rx="2" fill="{_colour(s.colour)}"/>'
            f'<text x="{x + 18}" y="{y + 10}" fill="{TEXT}">{_e(s.label)}'
            f'<tspan font-weight="600" dx="6">{_e(_num(s.value))}</tspan>'
            f'<tspan fill="{MUTED}" dx="6">({share})</tspan></text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def score_gauge(
    score: int, grade: str, label: str, *, colour: str, chart_id: str, size: int = 168
) -> str:
    """The readiness score as a ring filled to ``score`` percent, with number and grade."""
    stroke = 16
    cx = cy = size / 2
    r = (size - stroke) / 2 - 2
    value = max(0, min(100, score))
    title = f"Readiness score {value} out of 100, grade {grade} ({label})"
    parts = [
        _open(chart_id, title, title, size, size),
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{TRACK}" '
        f'stroke-width="{stroke}"/>',
    ]
    if value:
        parts.append(_ring(cx, cy, r, stroke, colour, 0.0, value / 100, title))
    parts.append(
        f'<text x="{cx}" y="{cy + 8}" text-anchor="middle" font-size="44" font-weight="700" '
        f'fill="{TEXT}">{value}</text>'
        f'<text x="{cx}" y="{cy + 32}" text-anchor="middle" font-size="13" fill="{MUTED}">'
        f"of 100 · grade {_e(grade)}</text></svg>"
    )
    return "".join(parts)
