"""Governance findings: "no", "partial" and overdue checklist answers, and culture metrics
that miss their target in the latest quarter.

Answer findings are about a site (subject ``<site>:<question>``) and carry the question's own
safeguards and severity ("partial" one level lower); culture findings are about a department
of the whole organisation (site ``enterprise`` unless the records name a site).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView
from imagewarden.engine import score
from imagewarden.governance.checklists import PlacedQuestion, question_index
from imagewarden.governance.interface import AnswerRecord, Campaign, CultureTargets, TrainingRecord
from imagewarden.governance.metrics import (
    METRICS,
    MetricValue,
    culture_metrics,
    format_value,
    misses,
)
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import (
    ENTERPRISE_SITE_ID,
    Check,
    FactValue,
    Finding,
    Severity,
    SubjectKind,
    finding_fingerprint,
)
from imagewarden.model.checklist import Answer
from imagewarden.store import Store

CHECK_NO = "urn:imagewarden:check:checklist-answer-no"
CHECK_PARTIAL = "urn:imagewarden:check:checklist-answer-partial"
CHECK_OVERDUE = "urn:imagewarden:check:checklist-answer-overdue"
CULTURE_CHECKS = {
    "completion_rate": "urn:imagewarden:check:culture-training-completion-below-target",
    "drill_participation": "urn:imagewarden:check:culture-training-completion-below-target",
    "click_rate": "urn:imagewarden:check:culture-phishing-click-rate-above-target",
    "report_rate": "urn:imagewarden:check:culture-phishing-report-rate-below-target",
    "minutes_to_report": "urn:imagewarden:check:culture-time-to-report-above-target",
}
ENTERPRISE = ENTERPRISE_SITE_ID
_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


def _lower(severity: Severity) -> Severity:
    return _ORDER[max(1, _ORDER.index(severity) - 1)]


class GovernanceFindings:
    """The finding producer of the governance capability (answers and culture metrics)."""

    name = "governance"

    def __init__(
        self,
        catalog: Catalog,
        answers: Sequence[AnswerRecord],
        training: Sequence[TrainingRecord] = (),
        campaigns: Sequence[Campaign] = (),
        targets: CultureTargets = CultureTargets(),
    ) -> None:
        self.catalog = catalog
        self.answers = answers
        self.training = training
        self.campaigns = campaigns
        self.targets = targets
        self.index = question_index(catalog)

    def produce(self, view: EnterpriseView) -> Iterator[Finding]:
        """Findings of "no", "partial" and overdue answers and of missed culture targets."""
        for record in self.answers:
            placed = self.index.get(record.question_id)
            if placed is None:  # a question withdrawn from the catalog: nothing to say
                continue
            facts = view.site_facts.get(record.site_id, {})
            if record.answer in (Answer.NO, Answer.PARTIAL):
                check_id = CHECK_NO if record.answer is Answer.NO else CHECK_PARTIAL
                severity = placed.question.severity
                if record.answer is Answer.PARTIAL:
                    severity = _lower(severity)
                yield self._answer_finding(check_id, severity, record, placed, facts)
            if record.overdue(view.today):
                yield self._answer_finding(
                    CHECK_OVERDUE, placed.question.severity, record, placed, facts
                )
        yield from self._culture(view)

    def _answer_finding(
        self,
        check_id: str,
        severity: Severity,
        record: AnswerRecord,
        placed: PlacedQuestion,
        facts: Mapping[str, FactValue],
    ) -> Finding:
        check = self.catalog.checks[check_id]
        subject = f"{record.site_id}:{record.question_id}"
        question = placed.question
        extra: dict[str, str | int | float | bool] = {
            "question": question.id,
            "checklist": placed.checklist.title,
            "question_text": question.text,
            "answer": record.answer.value,
            "owner": record.owner,
            "answered_on": record.answered_on.isoformat(),
        }
        if record.due_on is not None:
            extra["due_on"] = record.due_on.isoformat()
        if record.evidence:
            extra["evidence"] = record.evidence
        title = f"{check.title}: {question.text}"
        return Finding(
            id=finding_fingerprint(check_id, SubjectKind.SITE, subject),
            check_id=check_id,
            subject_kind=SubjectKind.SITE,
            subject_id=subject,
            site_id=record.site_id,
            asset_id=None,
            title=title[:300],
            severity=severity,
            risk=score(_with_severity(check, severity), facts, SubjectKind.SITE),
            evidence={"checklist.answer": record.answer.value},
            safeguards=question.safeguards,
            extra=extra,
        )

    def _culture(self, view: EnterpriseView) -> Iterator[Finding]:
        if not self.training and not self.campaigns:
            return
        values = culture_metrics(self.training, self.campaigns, self.targets)
        sites = {r.site_id for r in self.training} | {c.site_id for c in self.campaigns}
        site = next(iter(sites)) if len(sites) == 1 and "" not in sites else ENTERPRISE
        for miss in misses(values, self.targets):
            yield self._culture_finding(miss, site, view.site_facts.get(site, {}))

    def _culture_finding(
        self, miss: MetricValue, site: str, facts: Mapping[str, FactValue]
    ) -> Finding:
        check = self.catalog.checks[CULTURE_CHECKS[miss.metric]]
        label = METRICS[miss.metric][0]
        subject = f"{site}:culture:{miss.metric}:{miss.department}"
        title = (
            f"{label} {format_value(miss.metric, miss.value)} in {miss.department}, "
            f"{miss.quarter} (target {format_value(miss.metric, miss.target)})"
        )
        return Finding(
            id=finding_fingerprint(check.id, SubjectKind.SITE, subject),
            check_id=check.id,
            subject_kind=SubjectKind.SITE,
            subject_id=subject,
            site_id=site,
            asset_id=None,
            title=title,
            severity=check.severity,
            risk=score(check, facts, SubjectKind.SITE),
            evidence={f"culture.{miss.metric}": miss.value or 0.0},
            safeguards=check.safeguards,
            extra={
                "metric": miss.metric,
                "department": miss.department,
                "quarter": miss.quarter,
                "value": miss.value or 0.0,
                "target": miss.target,
                "sample": miss.sample,
            },
        )


def _with_severity(check: Check, severity: Severity) -> Check:
    return check.model_copy(update={"severity": severity})


def governance_producer(store: Store, catalog: Catalog) -> GovernanceFindings | None:
    """The producer for an assessment, or None when no governance data was recorded."""
    gov = GovernanceStore(store)
    answers = gov.current_answers()
    training = gov.training()
    campaigns = gov.campaigns()
    if not answers and not training and not campaigns:
        return None
    return GovernanceFindings(catalog, answers, training, campaigns)
