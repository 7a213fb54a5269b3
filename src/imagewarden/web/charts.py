"""Geometry of the small SVG charts the pages draw (attributes only: the CSP allows no
inline styles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from imagewarden.model import AssessmentRun


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: position, size and label."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


def trend_bars(
    runs: Sequence[AssessmentRun], *, width: float = 480, height: float = 120
) -> tuple[Bar, ...]:
    """Open findings after each assessment as bars scaled to ``height``, placed on a time
    axis: a bar's left edge is proportional to when its assessment finished, so runs a day
    apart stand close together and a month's pause shows as a gap."""
    if not runs:
        return ()
    top = max(max(r.findings_open for r in runs), 1)
    bar = max(min(width / len(runs) - 4, 24.0), 2.0)
    first = min(r.finished_at for r in runs)
    span = (max(r.finished_at for r in runs) - first).total_seconds()

    def x(run: AssessmentRun) -> float:
        if span <= 0:
            return (width - bar) / 2
        return (width - bar) * (run.finished_at - first).total_seconds() / span

    return tuple(
        Bar(
            x=round(x(run), 1),
            y=height - height * run.findings_open / top,
            width=bar,
            height=height * run.findings_open / top,
            label=run.finished_at.date().isoformat(),
            value=run.findings_open,
        )
        for run in sorted(runs, key=lambda r: r.finished_at)
    )
