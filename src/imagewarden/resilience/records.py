"""The resilience capability's stored records as the rest of the product sees them.

Backup checks and the incident response roster are frozen values; the repository
(``resilience.store.repository``) reads and writes them. Measured results become
observations (source ``probed``: measured, not declared) of the asset or site they concern,
built here as one ``ObservationBatch`` per result, so the catalog's checks and the report
read them like any other fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from imagewarden.model import FactValue, Observation, ObservationSource, SubjectKind

if TYPE_CHECKING:
    from imagewarden.store import ObservationBatch

COLLECTOR = "imagewarden-resilience"
"""The collector name recorded with every observation this capability makes."""


class BackupCheckKind(StrEnum):
    """What a stored backup check was."""

    VERIFY = "verify"
    RESTORE_TEST = "restore_test"

    @property
    def label(self) -> str:
        """The kind in people's words."""
        return "verification" if self is BackupCheckKind.VERIFY else "restore test"


@dataclass(frozen=True, slots=True)
class NewBackupCheck:
    """A backup check about to be stored (the summary of one verification or restore test)."""

    kind: BackupCheckKind
    root: str
    asset_id: str
    started_at: dt.datetime
    files: int
    bytes: int
    problem_files: int
    manifest: str
    summary: Mapping[str, Any] = field(default_factory=dict)
    """JSON-ready summary of the result (counts, never file names)."""


@dataclass(frozen=True, slots=True)
class BackupCheck(NewBackupCheck):
    """A stored backup check."""

    id: int = 0


@dataclass(frozen=True, slots=True)
class NewTeamMember:
    """A person (or on-call rota) to add to a role of the incident response team."""

    role: str
    name: str
    contact: str = ""
    rank: int = 1
    """1 = primary for the role, 2 = first deputy, ... (the contact tree order)."""
    site_id: str = ""
    """Empty: the member serves every site."""


@dataclass(frozen=True, slots=True)
class TeamMember(NewTeamMember):
    """A stored member of the incident response team."""

    id: int = 0


def fact_batch(
    kind: SubjectKind,
    subject_id: str,
    facts: Mapping[str, FactValue],
    observed_at: dt.datetime,
) -> ObservationBatch:
    """The measured ``facts`` of one subject as a batch that replaces this collector's
    earlier values of the same facts (and only those)."""
    # imported here, not at the top: `backup verify` needs no store and starts faster without it
    from imagewarden.store import ObservationBatch

    observations = tuple(
        Observation(kind, subject_id, name, value, ObservationSource.PROBED, observed_at, COLLECTOR)
        for name, value in facts.items()
    )
    return ObservationBatch(
        ObservationSource.PROBED,
        observations,
        subjects=((kind, subject_id),),
        names=frozenset(facts),
    )
