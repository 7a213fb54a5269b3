"""The governance capability's records, kinds and targets, as enums and frozen dataclasses.

Importers turn files into these records; the repository stores them; metrics, maturity, the
crosswalk and the plan of action read them. Nothing here holds a person's name or e-mail
address: people appear only as ``person_hash`` (see ``culture.person_hash``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from imagewarden.model import Severity
from imagewarden.model.checklist import Answer


class TrainingKind(StrEnum):
    """What a training record counts."""

    TRAINING = "training"
    """Completion of a course."""
    DRILL = "drill"
    """Participation in a downtime or incident drill."""


class CultureSource(StrEnum):
    """The kinds of culture file ``culture import`` reads."""

    TRAINING = "training"
    """A learning system's completion export (CSV)."""
    GOPHISH = "gophish"
    """A GoPhish campaign: its results CSV or the JSON of its API."""


class GophishStatus(StrEnum):
    """The result statuses GoPhish writes (models/models.go and models/result.go)."""

    SCHEDULED = "Scheduled"
    QUEUED = "Queued"
    SENDING = "Sending"
    RETRYING = "Retrying"
    ERROR = "Error"
    ERROR_SENDING = "Error Sending Email"
    UNKNOWN = "Unknown"
    CAMPAIGN_CREATED = "Campaign Created"
    EMAIL_SENT = "Email Sent"
    EMAIL_OPENED = "Email Opened"
    CLICKED_LINK = "Clicked Link"
    SUBMITTED_DATA = "Submitted Data"
    EMAIL_REPORTED = "Email Reported"

    @property
    def sent(self) -> bool:
        """Whether a result in this status means the e-mail reached the recipient."""
        return self in _SENT

    @property
    def clicked(self) -> bool:
        """Whether the recipient clicked the link (or went on to submit data)."""
        return self in (GophishStatus.CLICKED_LINK, GophishStatus.SUBMITTED_DATA)


_SENT = frozenset(
    {
        GophishStatus.EMAIL_SENT,
        GophishStatus.EMAIL_OPENED,
        GophishStatus.CLICKED_LINK,
        GophishStatus.SUBMITTED_DATA,
        GophishStatus.EMAIL_REPORTED,
    }
)


class PlanStatus(StrEnum):
    """Where a plan-of-action item stands."""

    OPEN = "open"
    OVERDUE = "overdue"
    """Open and past its due date."""
    RISK_ACCEPTED = "risk_accepted"
    CLOSED = "closed"

    @property
    def active(self) -> bool:
        """Still to be worked on (anything but closed)."""
        return self is not PlanStatus.CLOSED


class PlanSource(StrEnum):
    """What a plan item tracks."""

    FINDING = "finding"
    """An open or accepted finding."""
    GAP = "gap"
    """A checklist question not yet answered at a site."""
    DRILL = "drill"
    """An improvement item of an exercise's after-action report."""


class PlanField(StrEnum):
    """The fields of a plan item that belong to people: a sync never overwrites them."""

    OWNER = "owner"
    DUE = "due"
    STATUS = "status"
    MILESTONE = "milestone"


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One answer to one checklist question at one site."""

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
        """Past its due date (a "not applicable" answer is never overdue)."""
        return (
            self.due_on is not None
            and self.due_on < today
            and self.answer is not Answer.NOT_APPLICABLE
        )


@dataclass(frozen=True, slots=True)
class MaturitySnapshot:
    """The CSF tier of one function at one site, as recorded on one day."""

    site_id: str
    function: str
    tier: int
    score: float
    answered: int
    questions: int
    assessed_on: dt.date


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    """One assignment of a course (or a drill) to one person, pseudonymised."""

    person_hash: str
    department: str
    course: str
    assigned_on: dt.date
    due_on: dt.date | None = None
    completed_on: dt.date | None = None
    kind: TrainingKind = TrainingKind.TRAINING
    site_id: str = ""


@dataclass(frozen=True, slots=True)
class PhishingResult:
    """What one recipient of a simulated phishing e-mail did (GoPhish result, pseudonymised)."""

    person_hash: str
    department: str
    status: GophishStatus
    sent: bool
    clicked: bool
    submitted: bool
    reported: bool
    sent_at: dt.datetime | None = None
    reported_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Campaign:
    """A phishing simulation and what each recipient did."""

    id: str
    name: str
    source: str
    """The file it was imported from (name only)."""
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
    """A plan-of-action-and-milestones item: one finding, gap or after-action improvement."""

    id: str
    source_kind: PlanSource
    source_id: str
    site_id: str
    title: str
    severity: Severity
    owner: str
    milestone: str
    due_on: dt.date | None
    status: PlanStatus
    created_on: dt.date
    closed_on: dt.date | None = None
    revision: int = 0
    """Adds one at every stored change; an edit may require the revision it read."""
    edited: frozenset[PlanField] = frozenset()
    """Fields a person set (``edit_plan_item``); a sync leaves them as they are."""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What one import did."""

    source: str
    """The file's name."""
    read: int
    """Records in the file."""
    added: int
    """Records that were not stored yet."""
    what: str = "records"
    """What the records are, in words ("answers", "training records", "recipients")."""
    name: str = ""
    """The campaign's name, for a phishing import."""
    updated: int = 0
    """Records stored before that this import changed (e.g. a completion date added)."""

    @property
    def unchanged(self) -> int:
        """Records already stored, as they were, by an earlier import of the same content."""
        return self.read - self.added - self.updated


@dataclass(frozen=True, slots=True)
class WrittenFiles:
    """Files a command wrote, in the order written."""

    paths: tuple[Path, ...]
