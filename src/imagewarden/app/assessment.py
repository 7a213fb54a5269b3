"""Assess: evaluate every producer against the store and update the findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.contracts import ProducerContext
from imagewarden.engine import run_assessment
from imagewarden.engine.assess import DEFAULT_LOCK_WAIT
from imagewarden.model import AssessmentRun, Severity


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    """What one assessment did, as a person or a pipeline needs to know it."""

    run: AssessmentRun
    assets: int
    """Managed assets assessed (the inventory's)."""
    unmanaged: int
    """Hosts assessed that are not in the managed inventory, counted apart."""
    open_by_severity: Mapping[Severity, int]
    """Open findings after the run, every severity (critical first), zeros included."""
    new: int
    mitigated: int
    reopened: int
    conflicts: int
    """Decisions recorded while the run evaluated; kept, not overwritten."""

    @property
    def open_findings(self) -> int:
        """Open findings after the run."""
        return sum(self.open_by_severity.values())

    def has_open_at_or_above(self, severity: Severity) -> bool:
        """Whether an open finding has ``severity`` or higher (``assess --fail-on``)."""
        return any(n and s.rank >= severity.rank for s, n in self.open_by_severity.items())


def assess(
    workspace: Workspace,
    *,
    now: dt.datetime | None = None,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    on_wait: Callable[[], None] = lambda: None,
) -> AssessmentSummary:
    """Run one assessment; waits up to ``lock_wait`` s for one already running (LockTimeout)."""
    today = (now or dt.datetime.now(dt.UTC)).date()
    context = ProducerContext(workspace.store, workspace.catalog, today)
    producers = workspace.producers(context)
    result = run_assessment(
        workspace.store,
        workspace.catalog,
        producers,
        now=now,
        lock_wait=lock_wait,
        on_wait=on_wait,
        actor=workspace.actor,
    )
    managed, unmanaged = workspace.store.managed_counts()
    return AssessmentSummary(
        run=result.run,
        assets=managed,
        unmanaged=unmanaged,
        open_by_severity=result.open_by_severity,
        new=result.new,
        mitigated=result.mitigated,
        reopened=result.reopened,
        conflicts=result.conflicts,
    )
