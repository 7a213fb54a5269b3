"""Jobs: work the centre asks a site's worker to do, and the keys that prove who did it.

A job is created at the centre (``queued``), picked up by a worker of its site (``running``),
and ends ``done`` (its result batch applied, once), ``failed`` (refused at the site, an error,
or a worker lost twice) or ``expired`` (nobody ran it before its deadline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobKind(StrEnum):
    """What a site worker can be asked to do."""

    DISCOVER = "discover"
    """Safe active discovery inside the site's own scope file."""
    VERIFY_BACKUP = "verify_backup"
    """Hash and check an archive stored at the site."""
    ANALYZE_CAPTURE = "analyze_capture"
    """Passive analysis of a packet capture taken at the site."""


class JobState(StrEnum):
    """Where a job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def finished(self) -> bool:
        """Nothing more happens to a job in this state."""
        return self in (JobState.DONE, JobState.FAILED, JobState.EXPIRED)


MAX_DELIVERIES = 2
"""A job's message is run at most this many times (a worker lost mid-task runs it again
once); the next delivery marks it failed instead of probing again."""


@dataclass(frozen=True, slots=True)
class Job:
    """One job as the centre stores it."""

    id: str
    kind: JobKind
    site_id: str
    state: JobState
    params: Mapping[str, Any]
    """What the centre asked for (it can only narrow the site's own scope)."""
    submitted_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    attempts: int = 0
    """Deliveries a worker reported starting (at most ``MAX_DELIVERIES`` ran)."""
    batch_id: str | None = None
    """The one result batch applied for this job (job id and attempt)."""
    error: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)
    """What applying the result did (counts, never patient data)."""
    schedule_key: str | None = None
    """The schedule entry and window that created it, so a window gets one job."""


@dataclass(frozen=True, slots=True)
class SiteKey:
    """A site worker's public signing key, as the centre keeps it (never the private key)."""

    site_id: str
    public_key: str
    """PEM text of the Ed25519 public key."""
    fingerprint: str
    registered_at: dt.datetime
    registered_by: str
