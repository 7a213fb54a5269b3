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

from imagewarden.model import Finding, FindingStatus


@dataclass(frozen=True, slots=True)
class Merge:
    """Stored findings merged with one assessment's findings, and what changed."""

    findings: list[Finding]
    new: int
    mitigated: int
    reopened: int


def _carry(previous: Finding, current: Finding, now: dt.datetime) -> tuple[Finding, bool]:
    status, reason, until = previous.status, previous.status_reason, previous.accepted_until
    reopened = False
    if status is FindingStatus.MITIGATED:
        status, reason, until, reopened = FindingStatus.OPEN, "observed again", None, True
    elif status is FindingStatus.ACCEPTED and (until is None or until < now.date()):
        status, reason, until, reopened = FindingStatus.OPEN, "risk acceptance expired", None, True
    merged = dataclasses.replace(
        current,
        status=status,
        status_reason=reason,
        accepted_until=until,
        first_seen=previous.first_seen or now,
        last_seen=now,
        mitigated_at=None,
    )
    return merged, reopened


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
        merged, was_reopened = _carry(before, finding, now)
        reopened += was_reopened
        result.append(merged)
    mitigated = 0
    for finding_id, before in previous.items():
        if finding_id in seen:
            continue
        if before.status in (FindingStatus.OPEN, FindingStatus.ACCEPTED):
            mitigated += 1
            before = dataclasses.replace(
                before,
                status=FindingStatus.MITIGATED,
                status_reason="no longer observed",
                mitigated_at=now,
            )
        result.append(before)
    return Merge(result, new=new, mitigated=mitigated, reopened=reopened)
