"""The governance panel of the board one-pager: maturity trend, CSF tiers and culture."""

from __future__ import annotations

from imagewarden.contracts import ReportSection, SectionSource
from imagewarden.governance.maturity import FUNCTION_NAMES, TIER_NAMES, trend_chart
from imagewarden.governance.metrics import ALL, culture_metrics, format_value, trend
from imagewarden.governance.overview import average_tier_by_function, maturity_trend
from imagewarden.governance.store.repository import GovernanceStore


def board_section(source: SectionSource) -> ReportSection:
    """The "Trend" panel: the last four maturity assessments and culture quarters."""
    points = maturity_trend(source.store)
    gov = GovernanceStore(source.store)
    metrics = culture_metrics(gov.training(), gov.campaigns())
    clicks = trend(metrics, "click_rate", ALL)[-4:]
    completion = trend(metrics, "completion_rate", ALL)[-4:]
    tiers = average_tier_by_function(source.store, source.catalog, source.now.date())
    chart = (
        trend_chart(
            [(p.day, p.value) for p in points[-4:]],
            chart_id="board-maturity",
            title="Average CSF tier, last four assessments",
        )
        if points
        else None
    )
    return ReportSection(
        key="governance-trend",
        title="Trend",
        template="governance/board.html.j2",
        data={
            "maturity_chart": chart,
            "tiers": [(f"{f} {FUNCTION_NAMES[f]}", t, TIER_NAMES[int(t)]) for f, t in tiers],
            "clicks": [(v.quarter, format_value("click_rate", v.value)) for v in clicks],
            "completion": [
                (v.quarter, format_value("completion_rate", v.value)) for v in completion
            ],
        },
    )
