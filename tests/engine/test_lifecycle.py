"""Finding lifecycle across assessments."""

from __future__ import annotations

import dataclasses
import datetime as dt

from imagewarden.engine.lifecycle import merge
from imagewarden.model import (
    Finding,
    FindingStatus,
    RiskScore,
    Severity,
    SubjectKind,
    finding_fingerprint,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def found(subject: str) -> Finding:
    check = "urn:imagewarden:check:os-end-of-life"
    return Finding(
        id=finding_fingerprint(check, SubjectKind.ASSET, subject),
        check_id=check,
        subject_kind=SubjectKind.ASSET,
        subject_id=subject,
        site_id="s",
        asset_id=subject,
        title="t",
        severity=Severity.HIGH,
        risk=RiskScore(50, ()),
        evidence={},
        safeguards=("urn:imagewarden:safeguard:x",),
    )


def stored(first: Finding, **changes: object) -> Finding:
    return dataclasses.replace(first, first_seen=T0, last_seen=T0, **changes)  # type: ignore[arg-type]


def test_new_findings_get_first_and_last_seen() -> None:
    result = merge({}, [found("a")], T0)
    assert result.new == 1
    assert result.findings[0].first_seen == T0 == result.findings[0].last_seen


def test_seen_again_keeps_first_seen_and_moves_last_seen() -> None:
    before = stored(found("a"))
    result = merge({before.id: before}, [found("a")], T1)
    assert result.new == 0
    (after,) = result.findings
    assert (after.id, after.first_seen, after.last_seen) == (before.id, T0, T1)


def test_not_observed_any_more_becomes_mitigated() -> None:
    before = stored(found("a"))
    result = merge({before.id: before}, [], T1)
    assert result.mitigated == 1
    (after,) = result.findings
    assert after.status is FindingStatus.MITIGATED and after.mitigated_at == T1
    assert after.last_seen == T0


def test_mitigated_finding_that_returns_is_reopened() -> None:
    before = stored(found("a"), status=FindingStatus.MITIGATED, mitigated_at=T0)
    result = merge({before.id: before}, [found("a")], T1)
    assert result.reopened == 1
    assert result.findings[0].status is FindingStatus.OPEN
    assert result.findings[0].mitigated_at is None


def test_acceptance_holds_until_its_date_then_reopens() -> None:
    before = stored(
        found("a"),
        status=FindingStatus.ACCEPTED,
        status_reason="replacing in Q2",
        accepted_until=dt.date(2026, 1, 20),
    )
    held = merge({before.id: before}, [found("a")], T0)
    assert held.findings[0].status is FindingStatus.ACCEPTED
    lapsed = merge({before.id: before}, [found("a")], T1)
    assert lapsed.findings[0].status is FindingStatus.OPEN
    assert lapsed.findings[0].status_reason == "risk acceptance expired"


def test_false_positive_stays_false_positive() -> None:
    before = stored(found("a"), status=FindingStatus.FALSE_POSITIVE, status_reason="wrong OS")
    assert merge({before.id: before}, [found("a")], T1).findings[0].status is (
        FindingStatus.FALSE_POSITIVE
    )
    gone = merge({before.id: before}, [], T1)
    assert gone.findings[0].status is FindingStatus.FALSE_POSITIVE and gone.mitigated == 0
