"""CSF 2.0 implementation tiers per function and site, derived from checklist answers.

Every question measures one CSF function (GV, ID, PR, DE, RS, RC). For one site and one
function, with Q the questions of that function:

* coverage = questions answered (any answer) / |Q|;
* score = (yes + 0.5 x partial) / answers other than "not applicable";
* overdue = any answer of the function past its due date.

Tier 4 Adaptive:      coverage 100%, score >= 0.90, nothing overdue, evidence on every "yes".
Tier 3 Repeatable:    coverage >= 80%, score >= 0.70, nothing overdue.
Tier 2 Risk Informed: coverage >= 50%, score >= 0.40.
Tier 1 Partial:       anything less (including no answers at all).

The thresholds are printed with every maturity table, so a reader can redo the arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from imagewarden.catalog import Catalog
from imagewarden.governance.checklists import questions
from imagewarden.governance.interface import AnswerRecord, MaturitySnapshot
from imagewarden.governance.trend_chart import TimePoint, line_chart
from imagewarden.model.checklist import CSF_FUNCTIONS, Answer

TIER_NAMES = {1: "Partial", 2: "Risk Informed", 3: "Repeatable", 4: "Adaptive"}
FUNCTION_NAMES = {
    "GV": "Govern",
    "ID": "Identify",
    "PR": "Protect",
    "DE": "Detect",
    "RS": "Respond",
    "RC": "Recover",
}
RULES: tuple[str, ...] = (
    "coverage = answered questions of the function / its questions; "
    "score = (yes + 0.5 × partial) / answers other than not applicable",
    "Tier 4 Adaptive: coverage 100%, score ≥ 0.90, nothing overdue, evidence on every yes",
    "Tier 3 Repeatable: coverage ≥ 80%, score ≥ 0.70, nothing overdue",
    "Tier 2 Risk Informed: coverage ≥ 50%, score ≥ 0.40",
    "Tier 1 Partial: anything less",
)


@dataclass(frozen=True, slots=True)
class FunctionMaturity:
    """The CSF tier of one function at one site, with the numbers it comes from."""

    site_id: str
    function: str
    tier: int
    score: float
    answered: int
    questions: int
    overdue: int

    @property
    def tier_name(self) -> str:
        """The tier's name (Partial, Risk Informed, Repeatable, Adaptive)."""
        return TIER_NAMES[self.tier]


def tier_for(score: float, coverage: float, overdue: int, evidence_complete: bool) -> int:
    """The tier these numbers earn (``RULES``)."""
    if coverage >= 1.0 and score >= 0.90 and overdue == 0 and evidence_complete:
        return 4
    if coverage >= 0.80 and score >= 0.70 and overdue == 0:
        return 3
    if coverage >= 0.50 and score >= 0.40:
        return 2
    return 1


def maturity(
    catalog: Catalog, answers: Iterable[AnswerRecord], site_ids: Sequence[str], today: dt.date
) -> list[FunctionMaturity]:
    """The tier of every function at every site, from the current answers."""
    by_function: dict[str, set[str]] = {f: set() for f in CSF_FUNCTIONS}
    for placed in questions(catalog):
        by_function[placed.question.function].add(placed.question.id)
    current: dict[tuple[str, str], AnswerRecord] = {}
    for a in answers:
        current[(a.site_id, a.question_id)] = a
    result = []
    for site in site_ids:
        for function in CSF_FUNCTIONS:
            ids = by_function[function]
            given = [current[(site, q)] for q in ids if (site, q) in current]
            applicable = [a for a in given if a.answer is not Answer.NOT_APPLICABLE]
            points = sum(
                1.0 if a.answer is Answer.YES else 0.5 if a.answer is Answer.PARTIAL else 0.0
                for a in applicable
            )
            score = points / len(applicable) if applicable else 0.0
            coverage = len(given) / len(ids) if ids else 0.0
            overdue = sum(a.overdue(today) for a in given)
            evidence = all(a.evidence.strip() for a in applicable if a.answer is Answer.YES)
            result.append(
                FunctionMaturity(
                    site_id=site,
                    function=function,
                    tier=tier_for(score, coverage, overdue, evidence),
                    score=round(score, 3),
                    answered=len(given),
                    questions=len(ids),
                    overdue=overdue,
                )
            )
    return result


def snapshot_rows(levels: Iterable[FunctionMaturity], day: dt.date) -> list[MaturitySnapshot]:
    """The tiers of ``levels`` as recorded on ``day``."""
    return [
        MaturitySnapshot(m.site_id, m.function, m.tier, m.score, m.answered, m.questions, day)
        for m in levels
    ]


def trend_chart(
    points: Sequence[tuple[dt.date, float]], *, chart_id: str, title: str, axes: bool = False
) -> str:
    """Average tier per assessment date as a line on the fixed 1-4 scale, placed by date;
    ``axes`` names the axes (the board's panel says it in its caption instead)."""
    return line_chart(
        title,
        [TimePoint(day, round(value, 2)) for day, value in points],
        chart_id=chart_id,
        low=1,
        high=4,
        time_label="Assessment date" if axes else "",
        value_label="Average tier (1 Partial – 4 Adaptive)" if axes else "",
    )
