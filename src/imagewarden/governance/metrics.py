"""Culture metrics per department and quarter, with their trend and their targets.

* completion rate: completed training assignments / assignments, by the quarter assigned;
* drill participation: drills attended / drill invitations, by the quarter of the drill;
* click rate: recipients who clicked (or submitted data) / recipients the e-mail reached;
* report rate: recipients who reported the e-mail / recipients it reached;
* time to report: median minutes from sending to the report, over reported results.

Phishing metrics are placed in the quarter the campaign was launched. "All" is the whole
organisation. A metric misses its target when it is on the wrong side of
``CultureTargets``; only the latest quarter with data raises findings, and only for groups
of at least ``min_sample`` people, so one person's click does not make a department "fail".
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from imagewarden.governance.interface import (
    Campaign,
    CultureTargets,
    TrainingKind,
    TrainingRecord,
)

ALL = "All"


def quarter_of(day: dt.date) -> str:
    """The quarter of a day, e.g. "2026-Q2"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_end(label: str) -> dt.date:
    """The last day of a quarter ("2026-Q2" -> 2026-06-30)."""
    year, q = int(label[:4]), int(label[-1])
    month = q * 3
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One culture metric of one department in one quarter, against its target."""

    metric: str
    department: str
    quarter: str
    value: float | None
    """A rate from 0 to 1, or minutes for time to report; None when there is no data."""
    sample: int
    target: float
    higher_is_better: bool

    @property
    def meets_target(self) -> bool | None:
        """Whether the value is on the right side of the target (None without data)."""
        if self.value is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


METRICS: dict[str, tuple[str, bool]] = {
    "completion_rate": ("Training completion", True),
    "drill_participation": ("Drill participation", True),
    "click_rate": ("Phishing click rate", False),
    "report_rate": ("Phishing report rate", True),
    "minutes_to_report": ("Median minutes to report", False),
}


def _targets(targets: CultureTargets) -> dict[str, float]:
    return {
        "completion_rate": targets.completion_rate,
        "drill_participation": targets.completion_rate,
        "click_rate": targets.click_rate,
        "report_rate": targets.report_rate,
        "minutes_to_report": targets.minutes_to_report,
    }


def culture_metrics(
    training: Iterable[TrainingRecord],
    campaigns: Iterable[Campaign],
    targets: CultureTargets = CultureTargets(),
) -> list[MetricValue]:
    """Every metric for every (department, quarter) with data, and for "All"."""
    counts: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in training:
        metric = "completion_rate" if r.kind is TrainingKind.TRAINING else "drill_participation"
        done = 1.0 if r.completed_on is not None else 0.0
        for dept in (r.department, ALL):
            counts[(metric, dept, quarter_of(r.assigned_on))].append(done)
    for campaign in campaigns:
        quarter = quarter_of(campaign.launched_on)
        for res in campaign.results:
            if not res.sent:
                continue
            for dept in (res.department, ALL):
                counts[("click_rate", dept, quarter)].append(1.0 if res.clicked else 0.0)
                counts[("report_rate", dept, quarter)].append(1.0 if res.reported else 0.0)
                if res.reported and res.reported_at and res.sent_at:
                    minutes = (res.reported_at - res.sent_at).total_seconds() / 60
                    counts[("minutes_to_report", dept, quarter)].append(max(0.0, minutes))
    goal = _targets(targets)
    values = []
    for (metric, dept, quarter), samples in sorted(counts.items()):
        if metric == "minutes_to_report":
            value = statistics.median(samples)
        else:
            value = sum(samples) / len(samples)
        values.append(
            MetricValue(
                metric,
                dept,
                quarter,
                round(value, 4),
                len(samples),
                goal[metric],
                METRICS[metric][1],
            )
        )
    return values


def misses(values: Sequence[MetricValue], targets: CultureTargets) -> list[MetricValue]:
    """Metrics of each metric's latest quarter that miss their target with enough sample."""
    latest: dict[str, str] = {}
    for v in values:
        latest[v.metric] = max(latest.get(v.metric, v.quarter), v.quarter)
    return [
        v
        for v in values
        if v.quarter == latest[v.metric]
        and v.sample >= targets.min_sample
        and v.meets_target is False
    ]


def trend(values: Sequence[MetricValue], metric: str, department: str = ALL) -> list[MetricValue]:
    """One metric of one department, quarter by quarter."""
    return sorted(
        (v for v in values if v.metric == metric and v.department == department),
        key=lambda v: v.quarter,
    )


def format_value(metric: str, value: float | None) -> str:
    """A metric's value as people read it: a percentage, or minutes."""
    if value is None:
        return "-"
    if metric == "minutes_to_report":
        return f"{value:.0f} min"
    return f"{value * 100:.0f}%"
