"""Items a capability asks the plan of action (POA&M) to track."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImprovementAction:
    """An improvement the organisation committed to (e.g. from an exercise's after-action
    report); the plan of action keeps an item for it until it is done."""

    source_id: str
    """Stable id of the action, e.g. "drill-3-item-7"."""
    site_id: str
    title: str
    owner: str
    due_on: dt.date | None
    done: bool
