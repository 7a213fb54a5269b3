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
    """Open findings after each assessment as bars scaled to ``height``."""
    if not runs:
        return ()
    top = max(max(r.findings_open for r in runs), 1)
    step = width / len(runs)
    return tuple(
        Bar(
            x=i * step + 2,
            y=height - height * run.findings_open / top,
            width=max(step - 4, 1),
            height=height * run.findings_open / top,
            label=run.finished_at.date().isoformat(),
            value=run.findings_open,
        )
        for i, run in enumerate(runs)
    )
