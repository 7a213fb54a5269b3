"""Answers and culture metrics become findings in an assessment, with the right safeguards."""

from __future__ import annotations

import datetime as dt

from tests.assessing import run_assessment

from imagewarden.catalog import Catalog
from imagewarden.governance.interface import AnswerRecord, TrainingRecord
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import FindingStatus, Severity
from imagewarden.model.checklist import Answer
from imagewarden.store import Store

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def _answer(qid: str, answer: Answer, due: dt.date | None, site: str = "north") -> AnswerRecord:
    return AnswerRecord(
        site,
        qid,
        answer,
        "PACS manager",
        "doc.pdf" if answer is Answer.YES else "",
        dt.date(2026, 9, 1),
        due,
    )


def test_no_partial_and_overdue_answers_raise_findings(catalog: Catalog, store: Store) -> None:
    gov = GovernanceStore(store)
    gov.add_answers(
        [
            _answer("pacs-05", Answer.NO, dt.date(2026, 12, 31)),  # critical question
            _answer("pacs-02", Answer.PARTIAL, dt.date(2026, 12, 31)),  # high -> medium
            _answer("pacs-03", Answer.YES, dt.date(2026, 10, 1)),  # re-review date passed
            _answer("pacs-04", Answer.YES, dt.date(2027, 10, 1)),  # fine
            _answer("pacs-06", Answer.NOT_APPLICABLE, dt.date(2020, 1, 1)),  # n/a never overdue
        ],
        actor="test",
        action="checklist.import",
        target="test",
    )
    result = run_assessment(store, catalog, now=NOW)
    gov_findings = {
        (f.check_id.rsplit(":", 1)[-1], f.extra.get("question")): f
        for f in result.findings
        if "checklist" in f.check_id
    }
    assert set(gov_findings) == {
        ("checklist-answer-no", "pacs-05"),
        ("checklist-answer-partial", "pacs-02"),
        ("checklist-answer-overdue", "pacs-03"),
    }
    no = gov_findings[("checklist-answer-no", "pacs-05")]
    assert no.severity is Severity.CRITICAL
    assert (
        no.safeguards
        == catalog.checklists["urn:imagewarden:checklist:pacs-informatics"].questions[4].safeguards
    )
    assert no.site_id == "north" and no.asset_id is None
    assert no.extra["owner"] == "PACS manager" and no.extra["due_on"] == "2026-12-31"
    assert gov_findings[("checklist-answer-partial", "pacs-02")].severity is Severity.MEDIUM

    # Answering "yes" later mitigates the finding on the next assessment.
    gov.add_answers(
        [
            AnswerRecord(
                "north",
                "pacs-05",
                Answer.YES,
                "PACS manager",
                "backup-report.pdf",
                dt.date(2026, 10, 15),
                dt.date(2027, 10, 15),
            )
        ],
        actor="test",
        action="checklist.import",
        target="test",
    )
    later = run_assessment(store, catalog, now=NOW + dt.timedelta(days=1))
    statuses = {f.id: f.status for f in later.findings}
    assert statuses[no.id] is FindingStatus.MITIGATED


def test_training_below_target_raises_a_culture_finding(catalog: Catalog, store: Store) -> None:
    gov = GovernanceStore(store)
    records = [
        TrainingRecord(
            f"p{i}",
            "CT",
            "Basics",
            dt.date(2026, 8, 1),
            completed_on=dt.date(2026, 8, 5) if i < 6 else None,
        )
        for i in range(10)
    ]
    gov.add_training(records, "lms.csv", actor="test")
    result = run_assessment(store, catalog, now=NOW)
    culture = [f for f in result.findings if "culture" in f.check_id]
    titles = sorted(f.title for f in culture)
    # 60% in CT and in the whole organisation, both below the 90% target.
    assert titles == [
        "Training completion 60% in All, 2026-Q3 (target 90%)",
        "Training completion 60% in CT, 2026-Q3 (target 90%)",
    ]
    assert all(f.safeguards for f in culture)
