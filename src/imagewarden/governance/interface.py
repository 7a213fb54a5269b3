"""The governance capability's records and targets, as frozen dataclasses.

Importers turn files into these records; the repository stores them; metrics, maturity, the
crosswalk and the plan of action read them. Nothing here holds a person's name or e-mail
address: people appear only as ``person_hash`` (see ``culture.person_hash``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from imagewarden.model.checklist import Answer


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    site_id: str
    question_id: str
    answer: Answer
    owner: str
    evidence: str
    """A file path or a link to the evidence."""
    answered_on: dt.date
    due_on: dt.date | None = None
    """When the gap must be closed, or (for "yes") when the evidence must be re-confirmed."""
    notes: str = ""

    def overdue(self, today: dt.date) -> bool:
        return (
            self.due_on is not None
            and self.due_on < today
            and self.answer is not Answer.NOT_APPLICABLE
        )


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    person_hash: str
    department: str
    course: str
    assigned_on: dt.date
    due_on: dt.date | None = None
    completed_on: dt.date | None = None
    kind: str = "training"
    """"training" for a course, "drill" for participation in a downtime or incident drill."""
    site_id: str = ""


@dataclass(frozen=True, slots=True)
class PhishingResult:
    """What one recipient of a simulated phishing e-mail did (GoPhish result, pseudonymised)."""

    person_hash: str
    department: str
    status: str
    sent: bool
    clicked: bool
    submitted: bool
    reported: bool
    sent_at: dt.datetime | None = None
    reported_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    source: str
    launched_on: dt.date
    results: tuple[PhishingResult, ...]
    site_id: str = ""


@dataclass(frozen=True, slots=True)
class CultureTargets:
    """Targets a culture metric must meet; a miss in the latest quarter raises a finding."""

    completion_rate: float = 0.90
    click_rate: float = 0.10
    report_rate: float = 0.50
    minutes_to_report: float = 60.0
    min_sample: int = 5
    """Departments with fewer people in a quarter are shown but raise no finding."""


@dataclass(frozen=True, slots=True)
class PlanItem:
    id: str
    source_kind: str
    """"finding" (an open or accepted finding), "gap" (a question not yet answered) or
    "drill" (an improvement item of an exercise's after-action report)."""
    source_id: str
    site_id: str
    title: str
    severity: str
    owner: str
    milestone: str
    due_on: dt.date | None
    status: str
    """open, overdue, risk_accepted or closed."""
    created_on: dt.date
    closed_on: dt.date | None = None
