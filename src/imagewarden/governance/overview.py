"""Everything the governance report section and the board one-pager show, computed once.

Reads the store (answers, maturity history, culture records, plan items) and returns
JSON-ready data; renderers only format it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imagewarden.catalog import Catalog
from imagewarden.governance.checklists import question_index
from imagewarden.governance.crosswalk import crosswalk
from imagewarden.governance.maturity import FUNCTION_NAMES, RULES, TIER_NAMES, maturity, trend_chart
from imagewarden.governance.metrics import (
    ALL,
    METRICS,
    culture_metrics,
    format_value,
    quarter_end,
    trend,
)
from imagewarden.governance.poam import quarterly_review
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.governance.trend_chart import TimePoint, line_chart
from imagewarden.model import Finding
from imagewarden.model.checklist import CSF_FUNCTIONS, Answer
from imagewarden.store import Store


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The average recorded tier on one assessment day."""

    day: dt.date
    value: float

    @property
    def label(self) -> str:
        """The day as people read it in the charts and listings (ISO date)."""
        return self.day.isoformat()


def maturity_trend(store: Store) -> list[TrendPoint]:
    """Average recorded tier over all sites and functions, per assessment date."""
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for row in GovernanceStore(store).maturity_history():
        by_day[row.assessed_on].append(row.tier)
    return [TrendPoint(day, round(sum(t) / len(t), 2)) for day, t in sorted(by_day.items())]


def governance_data(
    store: Store,
    catalog: Catalog,
    today: dt.date,
    *,
    findings: Iterable[Finding],
    site_ids: Sequence[str],
    site_names: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The report section's data, or None when no governance data was recorded.

    ``site_names`` (id -> name): sites are shown by name, as in every other table."""
    gov = GovernanceStore(store)
    answers = gov.current_answers()
    training = gov.training()
    campaigns = gov.campaigns()
    items = gov.plan_items()
    if not answers and not training and not campaigns and not items:
        return None
    sites = list(site_ids)
    index = question_index(catalog)
    counts = Counter(a.answer.value for a in answers)
    overdue = [a for a in answers if a.overdue(today)]
    levels = maturity(catalog, answers, sites, today)
    by_site: dict[str, dict[str, int]] = defaultdict(dict)
    for m in levels:
        by_site[m.site_id][m.function] = m.tier
    coverage = crosswalk(catalog, answers, findings)
    metrics = culture_metrics(training, campaigns)
    points = maturity_trend(store)
    # One column per quarter, so a measure without data in a quarter leaves its cell empty
    # instead of shifting the later quarters left.
    culture_values: dict[str, dict[str, str]] = {}
    for metric, (label, _) in METRICS.items():
        series = trend(metrics, metric, ALL)
        if series:
            culture_values[label] = {v.quarter: format_value(metric, v.value) for v in series}
    culture_quarters = sorted({q for values in culture_values.values() for q in values})[-4:]
    culture_rows = [
        [label, *(values.get(q, "—") for q in culture_quarters)]
        for label, values in culture_values.items()
    ]
    click = trend(metrics, "click_rate", ALL)
    # Quarters sit on a time axis (at their last day): a quarter without a campaign leaves a
    # gap instead of bringing the next one closer.
    click_chart = line_chart(
        "Phishing click rate per quarter (all staff)",
        [
            TimePoint(quarter_end(v.quarter), round(v.value * 100, 1), v.quarter)
            for v in click
            if v.value is not None
        ],
        chart_id="gov-click-trend",
        low=0,
        high=100,
        unit="%",
        time_label="Quarter of the campaigns",
        value_label="Share of recipients who clicked (%)",
    )
    review = quarterly_review(items, today) if items else None
    gaps = [
        [
            index[a.question_id].checklist.title,
            a.question_id,
            index[a.question_id].question.text,
            a.answer.value,
            a.owner,
            a.due_on.isoformat() if a.due_on else "",
        ]
        for a in answers
        if a.question_id in index and a.answer in (Answer.NO, Answer.PARTIAL)
    ]
    return {
        "as_of": today.isoformat(),
        "answers": {k: counts.get(k.value, 0) for k in Answer} | {"overdue": len(overdue)},
        "answer_counts": [[a.value.replace("_", " "), counts.get(a.value, 0)] for a in Answer]
        + [["overdue", len(overdue)]],
        "questions": len(index),
        "maturity_rows": [
            [
                (site_names or {}).get(site, site),
                *(
                    f"{by_site[site].get(f, 1)} {TIER_NAMES[by_site[site].get(f, 1)]}"
                    for f in CSF_FUNCTIONS
                ),
            ]
            for site in sites
        ],
        "maturity_columns": ["Site", *(f"{f} {FUNCTION_NAMES[f]}" for f in CSF_FUNCTIONS)],
        "maturity_rules": list(RULES),
        "maturity_trend": [[p.label, p.value] for p in points],
        "maturity_chart": trend_chart(
            [(p.day, p.value) for p in points],
            chart_id="gov-maturity-trend",
            title="Average CSF implementation tier per assessment",
            axes=True,
        )
        if points
        else "",
        "crosswalk": [
            [
                fw.title,
                f"{fw.score:.0f}" if fw.score is not None else "-",
                f"{fw.coverage:.0f}%",
                fw.count("met"),
                fw.count("partial"),
                fw.count("gap"),
                fw.count("not assessed"),
                fw.count("not covered"),
            ]
            for fw in coverage
        ],
        "culture": culture_rows,
        "culture_quarters": culture_quarters,
        "click_chart": click_chart if click else "",
        "gaps": gaps[:40],
        "gap_total": len(gaps),
        "review": None
        if review is None
        else {
            "quarter": review.quarter,
            "opened": review.opened,
            "closed": review.closed,
            "open_now": review.open_now,
            "overdue": review.overdue,
            "risk_accepted": review.risk_accepted,
            "due_next_quarter": review.due_next_quarter,
            "by_owner": [[k, v] for k, v in review.by_owner.items()],
        },
    }


def average_tier_by_function(
    store: Store, catalog: Catalog, today: dt.date
) -> list[tuple[str, float]]:
    """The average tier of each CSF function over all sites, from the current answers."""
    gov = GovernanceStore(store)
    sites: Sequence[str] = [s.id for s in store.sites()]
    levels = maturity(catalog, gov.current_answers(), sites, today)
    result = []
    for f in CSF_FUNCTIONS:
        tiers = [m.tier for m in levels if m.function == f]
        result.append((f, round(sum(tiers) / len(tiers), 1) if tiers else 1.0))
    return result
