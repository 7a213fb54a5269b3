"""Finding lifecycle across assessments.

- A finding seen again keeps its id and first_seen; last_seen moves to now.
- A mitigated finding that comes back is open again.
- An accepted risk stays accepted until its date; after that it is open again.
- A false positive stays a false positive while it is still observed.
- An open or accepted finding that is no longer observed becomes mitigated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from imagewarden.model import Finding, FindingStatus, Lifecycle, reopens

OBSERVED_AGAIN = "observed again"
ACCEPTANCE_EXPIRED = "risk acceptance expired"
NO_LONGER_OBSERVED = "no longer observed"


@dataclass(frozen=True, slots=True)
class Merge:
    """Stored findings merged with one assessment's findings, and what changed."""

    findings: list[Finding]
    new: int
    mitigated: int
    reopened: int


def observed_again(before: Lifecycle, now: dt.datetime) -> Lifecycle:
    """The lifecycle of a stored finding that this assessment observes again."""
    status, reason, until = before.status, before.status_reason, before.accepted_until
    if status is FindingStatus.MITIGATED:
        status, reason, until = FindingStatus.OPEN, OBSERVED_AGAIN, None
    elif status is FindingStatus.ACCEPTED and (until is None or until < now.date()):
        status, reason, until = FindingStatus.OPEN, ACCEPTANCE_EXPIRED, None
    after = Lifecycle(status, reason, until, None)
    return before if after == before else after


def no_longer_observed(before: Lifecycle, now: dt.datetime) -> Lifecycle:
    """The lifecycle of a stored finding that this assessment does not observe."""
    if before.status in (FindingStatus.OPEN, FindingStatus.ACCEPTED):
        return before._replace(
            status=FindingStatus.MITIGATED, status_reason=NO_LONGER_OBSERVED, mitigated_at=now
        )
    return before


def _with(finding: Finding, lifecycle: Lifecycle, **dates: dt.datetime | None) -> Finding:
    return dataclasses.replace(
        finding,
        status=lifecycle.status,
        status_reason=lifecycle.status_reason,
        accepted_until=lifecycle.accepted_until,
        mitigated_at=lifecycle.mitigated_at,
        **dates,  # type: ignore[arg-type]
    )


def merge(previous: Mapping[str, Finding], current: Iterable[Finding], now: dt.datetime) -> Merge:
    """Combine stored findings with this assessment's findings into the new stored set."""
    result: list[Finding] = []
    seen: set[str] = set()
    new = reopened = 0
    for finding in current:
        seen.add(finding.id)
        before = previous.get(finding.id)
        if before is None:
            new += 1
            result.append(dataclasses.replace(finding, first_seen=now, last_seen=now))
            continue
        after = observed_again(before.lifecycle(), now)
        reopened += reopens(before.lifecycle(), after)
        result.append(_with(finding, after, first_seen=before.first_seen or now, last_seen=now))
    mitigated = 0
    for finding_id, before in previous.items():
        if finding_id in seen:
            continue
        after = no_longer_observed(before.lifecycle(), now)
        if after != before.lifecycle():
            mitigated += 1
            before = _with(before, after)
        result.append(before)
    return Merge(result, new=new, mitigated=mitigated, reopened=reopened)
