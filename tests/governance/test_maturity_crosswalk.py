"""Maturity tiers from answers (with history) and the framework crosswalk."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest

from imagewarden.catalog import Catalog
from imagewarden.governance.checklists import questions
from imagewarden.governance.crosswalk import RequirementCoverage, crosswalk, crosswalk_csv
from imagewarden.governance.interface import AnswerRecord
from imagewarden.governance.maturity import maturity, snapshot_rows, tier_for, trend_chart
from imagewarden.governance.overview import maturity_trend
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import Finding, FindingStatus, RiskScore, Severity, SubjectKind
from imagewarden.model.checklist import Answer
from imagewarden.store import Store

DAY = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("score", "coverage", "overdue", "evidence", "tier"),
    [
        (1.0, 1.0, 0, True, 4),
        (1.0, 1.0, 0, False, 3),  # a "yes" without evidence is not adaptive
        (0.95, 1.0, 1, True, 2),  # anything overdue caps at tier 2
        (0.70, 0.80, 0, True, 3),
        (0.69, 1.0, 0, True, 2),
        (0.40, 0.50, 0, True, 2),
        (0.90, 0.49, 0, True, 1),  # too little answered
        (0.39, 1.0, 0, True, 1),
    ],
)
def test_tier_thresholds(
    score: float, coverage: float, overdue: int, evidence: bool, tier: int
) -> None:
    assert tier_for(score, coverage, overdue, evidence) == tier


def _all(catalog: Catalog, site: str, answer: Answer, function: str) -> list[AnswerRecord]:
    return [
        AnswerRecord(site, p.question.id, answer, "Owner", "e.pdf", DAY, DAY.replace(2027))
        for p in questions(catalog)
        if p.question.function == function
    ]


def test_maturity_per_function_and_site(catalog: Catalog) -> None:
    answers = _all(catalog, "north", Answer.YES, "PR") + _all(catalog, "north", Answer.NO, "DE")
    levels = {
        (m.site_id, m.function): m for m in maturity(catalog, answers, ["north", "south"], DAY)
    }
    assert levels[("north", "PR")].tier == 4 and levels[("north", "PR")].score == 1.0
    assert levels[("north", "DE")].tier == 1 and levels[("north", "DE")].score == 0.0
    assert levels[("north", "GV")].tier == 1 and levels[("north", "GV")].answered == 0
    assert levels[("south", "PR")].tier == 1


def test_maturity_history_and_trend_chart(catalog: Catalog, store: Store) -> None:
    gov = GovernanceStore(store)
    first = maturity(catalog, [], ["north"], DAY)
    gov.record_maturity(snapshot_rows(first, DAY), actor="test")
    second = maturity(catalog, _all(catalog, "north", Answer.YES, "PR"), ["north"], DAY)
    gov.record_maturity(snapshot_rows(second, DAY + dt.timedelta(days=90)), actor="test")
    gov.record_maturity(
        snapshot_rows(second, DAY + dt.timedelta(days=90)), actor="test"
    )  # idempotent
    points = maturity_trend(store)
    assert [(p.label, p.value) for p in points] == [("2026-11-01", 1.0), ("2027-01-30", 1.5)]
    svg = trend_chart([(p.day, p.value) for p in points], chart_id="t", title="Tiers")
    assert svg.startswith("<svg") and "2027-01-30" in svg and "2027-01-30: 1.5" in svg


def test_crosswalk_statuses_scores_and_csv(catalog: Catalog) -> None:
    answers = [
        AnswerRecord("north", "exec-01", Answer.YES, "o", "e", DAY),  # GV.RR-01 met
        AnswerRecord("north", "exec-06", Answer.NO, "o", "", DAY, DAY),  # PR.AA-03 gap
        AnswerRecord("north", "rad-03", Answer.PARTIAL, "o", "", DAY, DAY),  # RC.RP-02 partial
    ]
    coverage = {fw.framework: fw for fw in crosswalk(catalog, answers, [])}
    csf = {r.id: r for r in coverage["nist-csf-2.0"].requirements}
    assert csf["GV.RR-01"].status == "met"
    assert csf["PR.AA-03"].status == "gap"
    assert csf["RC.RP-02"].status == "partial"
    assert csf["ID.AM-01"].status == "not assessed"
    assert coverage["nist-csf-2.0"].score == pytest.approx(100 * 1.5 / 3, abs=0.1)
    rows = list(csv.DictReader(io.StringIO(crosswalk_csv(list(coverage.values())))))
    assert len(rows) == sum(len(fw.requirements) for fw in coverage.values())
    gap = next(
        r for r in rows if r["framework"] == "nist-csf-2.0" and r["requirement"] == "PR.AA-03"
    )
    assert gap["status"] == "gap" and "exec-06" in gap["questions"] and gap["answers_no"] == "1"


def _csf(
    catalog: Catalog, answers: list[AnswerRecord], findings: list[Finding]
) -> dict[str, RequirementCoverage]:
    coverage = {fw.framework: fw for fw in crosswalk(catalog, answers, findings)}
    return {r.id: r for r in coverage["nist-csf-2.0"].requirements}


def test_a_current_finding_makes_the_requirements_of_its_check_a_gap(catalog: Catalog) -> None:
    check = catalog.checks["urn:imagewarden:check:site-no-imaging-downtime-plan"]
    finding = Finding(
        "f1",
        check.id,
        SubjectKind.SITE,
        "north",
        "north",
        None,
        check.title,
        Severity.HIGH,
        RiskScore(50, ()),
        {},
        check.safeguards,
    )
    yes = [AnswerRecord("north", "rad-01", Answer.YES, "o", "plan.pdf", DAY)]  # cites RC.RP-01
    open_gap = _csf(catalog, yes, [finding])["RC.RP-01"]
    assert open_gap.status == "gap" and open_gap.findings == 1
    mitigated = dataclasses.replace(finding, status=FindingStatus.MITIGATED)
    assert _csf(catalog, yes, [mitigated])["RC.RP-01"].status == "met"
