"""Numbers as people read them: durations never print as "0.0 h"."""

from __future__ import annotations

import dataclasses

import pytest

from imagewarden.render.labels import format_hours


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        (0.0, "under a minute"),
        (0.004, "under a minute"),
        (0.2, "12 min"),
        (1.0, "1.0 h"),
        (57.96, "58.0 h"),
    ],
)
def test_durations_never_print_as_zero_hours(hours: float, said: str) -> None:
    assert format_hours(hours) == said


def test_crosswalk_counts_partial_answers_as_partial() -> None:
    import datetime as dt
    import itertools

    from imagewarden.catalog import load_catalog
    from imagewarden.governance.checklists import questions
    from imagewarden.governance.crosswalk import crosswalk
    from imagewarden.governance.interface import AnswerRecord
    from imagewarden.model import Severity
    from imagewarden.model.checklist import Answer
    from tests.report.conftest import _finding

    catalog = load_catalog()
    cited = [p.question for p in questions(catalog) if p.question.refs][:3]
    answers = [
        AnswerRecord("north", q.id, Answer.PARTIAL, "PACS manager", "", dt.date(2026, 9, 1))
        for q in cited
    ]
    # each partial answer also raises a finding that names its question
    findings = [
        dataclasses.replace(
            _finding(catalog, i, None, "north", Severity.MEDIUM, 40), extra={"question": q.id}
        )
        for i, q in enumerate(cited)
    ]
    coverage = crosswalk(catalog, answers, findings)
    partial = sum(fw.count("partial") for fw in coverage)
    assert partial >= len(cited)
    refs = {(r.framework, r.id) for q in cited for r in q.refs}
    rows = itertools.chain.from_iterable(fw.requirements for fw in coverage)
    assert all(r.status == "partial" for r in rows if (r.framework, r.id) in refs)
