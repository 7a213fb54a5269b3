"""An assessment run: one evaluation of the catalog against the store's observations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AssessmentRun:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    catalog_version: str
    assets: int
    findings_open: int
    findings_new: int
    findings_mitigated: int
