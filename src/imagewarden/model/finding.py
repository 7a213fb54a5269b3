"""Findings: a check that matched a subject, with evidence, risk and lifecycle."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from imagewarden.model.enums import FindingStatus, Severity, SubjectKind
from imagewarden.model.facts import FactValue


def finding_fingerprint(check_id: str, subject_kind: SubjectKind, subject_id: str) -> str:
    """Stable id of a finding: the same check on the same subject is the same finding."""
    digest = hashlib.sha256(f"{check_id}\x1f{subject_kind.value}\x1f{subject_id}".encode())
    return "iwf-" + digest.hexdigest()[:20]


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
