"""Findings: a check that matched a subject, with evidence, risk and lifecycle."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from imagewarden.model.enums import FindingStatus, Severity, SubjectKind
from imagewarden.model.facts import FactValue

SUBJECT_KIND_TEXT = {kind: kind.value for kind in SubjectKind}
"""Each subject kind's stored text: a lookup, cheaper than the enum's ``.value`` descriptor in
hot loops (fingerprints, finding rows)."""


def finding_fingerprint(check_id: str, subject_kind: SubjectKind, subject_id: str) -> str:
    """Stable id of a finding: the same check on the same subject is the same finding."""
    return fingerprints_of(check_id, subject_kind)(subject_id)


def fingerprints_of(check_id: str, subject_kind: SubjectKind) -> Callable[[str], str]:
    """``finding_fingerprint`` of one check on subjects of one kind, as a function of the
    subject's id: what the check and kind add to the hashed text is encoded once (a check
    runs on thousands of subjects)."""
    prefix = f"{check_id}\x1f{SUBJECT_KIND_TEXT[subject_kind]}\x1f".encode()
    sha256 = hashlib.sha256

    def fingerprint(subject_id: str) -> str:
        return "iwf-" + sha256(prefix + subject_id.encode()).hexdigest()[:20]

    return fingerprint


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One named contribution to a risk score, with the reason it has this level."""

    name: str
    level: str
    weight: float
    points: float
    reason: str


@dataclass(frozen=True, slots=True)
class RiskScore:
    """An explainable 0-100 score: the sum of its factors' points."""

    score: int
    factors: tuple[RiskFactor, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """A check that matched a subject, with evidence, risk, safeguards and lifecycle."""

    id: str
    check_id: str
    subject_kind: SubjectKind
    subject_id: str
    site_id: str
    asset_id: str | None
    title: str
    severity: Severity
    risk: RiskScore
    evidence: Mapping[str, FactValue]
    safeguards: tuple[str, ...]
    status: FindingStatus = FindingStatus.OPEN
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    status_reason: str = ""
    accepted_until: dt.date | None = None
    mitigated_at: dt.datetime | None = None
    extra: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    """Producer-specific details shown with the finding (e.g. CVE id, KEV, EPSS)."""
    revision: int = 0
    """Row version of the lifecycle fields (status, reason, acceptance date): every change
    of them adds one, so a writer can change them only if nobody did since it read them."""

    def observed(self) -> ObservedFinding:
        """What an assessment observed of this finding (no lifecycle, no dates)."""
        return ObservedFinding(
            self.id,
            self.check_id,
            self.subject_kind,
            self.subject_id,
            self.site_id,
            self.asset_id,
            self.title,
            self.severity,
            self.risk,
            self.evidence,
            self.safeguards,
            self.extra,
        )

    def lifecycle(self) -> Lifecycle:
        """The fields a person's triage decision owns."""
        return Lifecycle(self.status, self.status_reason, self.accepted_until, self.mitigated_at)


class ObservedFinding(NamedTuple):
    """A finding as one assessment observes it: every field but the lifecycle and the dates.

    A tuple, not a ``Finding``: an assessment of a large enterprise makes hundreds of
    thousands of them, and building a frozen dataclass costs twenty times more.
    """

    id: str
    check_id: str
    subject_kind: SubjectKind
    subject_id: str
    site_id: str
    asset_id: str | None
    title: str
    severity: Severity
    risk: RiskScore
    evidence: Mapping[str, FactValue]
    safeguards: tuple[str, ...]
    extra: Mapping[str, str | int | float | bool]

    def finding(self) -> Finding:
        """The new, open finding with these fields."""
        return Finding(
            id=self.id,
            check_id=self.check_id,
            subject_kind=self.subject_kind,
            subject_id=self.subject_id,
            site_id=self.site_id,
            asset_id=self.asset_id,
            title=self.title,
            severity=self.severity,
            risk=self.risk,
            evidence=self.evidence,
            safeguards=self.safeguards,
            extra=dict(self.extra),
        )


class Lifecycle(NamedTuple):
    """The fields of a finding that a person's triage decision owns and an assessment moves."""

    status: FindingStatus
    status_reason: str = ""
    accepted_until: dt.date | None = None
    mitigated_at: dt.datetime | None = None


def reopens(before: Lifecycle, after: Lifecycle) -> bool:
    """Whether moving from ``before`` to ``after`` opens the finding again."""
    return after.status is FindingStatus.OPEN and before.status is not FindingStatus.OPEN


def mitigates(before: Lifecycle, after: Lifecycle) -> bool:
    """Whether moving from ``before`` to ``after`` marks the finding mitigated."""
    return after.status is FindingStatus.MITIGATED and before.status is not FindingStatus.MITIGATED


class StoredLifecycle(NamedTuple):
    """A stored finding's lifecycle as an assessment read it, with the revision guarding it."""

    lifecycle: Lifecycle
    revision: int
