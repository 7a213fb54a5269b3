"""An assessment run: one evaluation of the catalog against the store's observations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AssessmentRun:
    """One assessment run: when it ran, against which catalog, and what it counted."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    catalog_version: str
    assets: int
    findings_open: int
    findings_new: int
    findings_mitigated: int
    method: Mapping[str, Any] = field(default_factory=dict)
    """How the run scored and what it ran (risk formula, producers), as stored with it."""
