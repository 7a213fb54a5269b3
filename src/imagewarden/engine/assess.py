"""One assessment: read the store, evaluate every producer, merge, write the findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView, FindingProducer
from imagewarden.engine.facts import view_of
from imagewarden.engine.lifecycle import no_longer_observed, observed_again
from imagewarden.engine.risk import RISK_FORMULA, WEIGHTS
from imagewarden.engine.rules import CatalogRules
from imagewarden.model import (
    AssessmentRun,
    FactValue,
    Finding,
    FindingStatus,
    Lifecycle,
    ObservedFinding,
    Severity,
    StoredLifecycle,
    SubjectKind,
)
from imagewarden.store import StagedFindings, Store
from imagewarden.store.bulk import no_cyclic_gc
from imagewarden.store.locks import exclusive

ASSESSMENT_LOCK = "assessment"
DEFAULT_LOCK_WAIT = 600.0
"""Seconds an assessment waits for one already running on the same database."""


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    """What one assessment found and wrote."""

    run: AssessmentRun
    new: int
    mitigated: int
    reopened: int
    conflicts: int
    """Status changes this run did not make because a person changed the finding meanwhile."""
    open_by_severity: Mapping[Severity, int]
    """Open findings after the run, every severity (critical first), zeros included."""
    store: Store = field(repr=False, compare=False)

    @property
    def findings(self) -> list[Finding]:
        """Every finding as stored (a person's concurrent decision included), read when asked:
        the assessment itself keeps none in memory."""
        return self.store.findings()


def load_view(store: Store, catalog: Catalog, today: dt.date) -> EnterpriseView:
    """The facts of every site, asset and service as of ``today``."""
    return view_of(catalog, store.sites(), store.assets(), store.latest_facts(), today)


def evaluate(view: EnterpriseView, producers: Sequence[FindingProducer]) -> list[Finding]:
    """Every finding of this moment, without lifecycle (pure; no store access)."""
    found: dict[str, Finding] = {}
    for producer in producers:
        for finding in producer.produce(view):
            found.setdefault(finding.id, finding)
    return list(found.values())


_NEW = Lifecycle(FindingStatus.OPEN)


def _observed(
    view: EnterpriseView, producers: Sequence[FindingProducer]
) -> Iterator[tuple[ObservedFinding, Lifecycle, int]]:
    """What ``evaluate`` finds, as tuples with the lifecycle a new finding starts with."""
    for producer in producers:
        if isinstance(producer, CatalogRules):
            for observed in producer.observe(view):
                yield observed, _NEW, 0
        else:
            for finding in producer.produce(view):
                yield finding.observed(), finding.lifecycle(), finding.revision


def _stage(
    staged: StagedFindings,
    found: Iterator[tuple[ObservedFinding, Lifecycle, int]],
    previous: Mapping[str, StoredLifecycle],
    now: dt.datetime,
) -> None:
    """Merge what was found with what was stored (``lifecycle``) into the stage.

    The first producer to report a finding id wins, as in ``evaluate``.
    """
    seen: set[str] = set()
    for observed, lifecycle, revision in found:
        if observed.id in seen:
            continue
        seen.add(observed.id)
        read = previous.get(observed.id)
        if read is None:
            staged.insert(observed, lifecycle, revision)
        else:
            staged.update(observed)
            staged.move(observed.id, read, observed_again(read.lifecycle, now))
    for finding_id, read in previous.items():
        if finding_id not in seen:
            staged.keep(finding_id)
            staged.move(finding_id, read, no_longer_observed(read.lifecycle, now))


def method(producers: Sequence[FindingProducer]) -> dict[str, Any]:
    """How this assessment scores, stored with the run so reports explain it as it was."""
    return {
        "risk_formula": list(RISK_FORMULA),
        "risk_weights": dict(WEIGHTS),
        "producers": [producer.name for producer in producers],
    }


def _derived(view: EnterpriseView) -> Iterator[tuple[SubjectKind, str, dict[str, FactValue]]]:
    for kind, subjects in view.derived.items():
        for subject_id, facts in subjects.items():
            yield kind, subject_id, facts


def run_assessment(
    store: Store,
    catalog: Catalog,
    producers: Sequence[FindingProducer],
    *,
    now: dt.datetime | None = None,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    on_wait: Callable[[], None] = lambda: None,
    actor: str = "system",
) -> AssessmentResult:
    """Evaluate ``producers`` and write the findings; one assessment per database at a time.

    A second assessment waits (``on_wait`` is told once) up to ``lock_wait`` seconds, then
    raises LockTimeout. Findings are updated in place: lifecycle decisions recorded while this
    run evaluated are kept (see ``Store.record_staged``). Each finding is encoded into the
    stage as it is produced, so memory holds the facts view and the staged rows, not
    ``Finding`` objects.
    """
    with (
        exclusive(store.engine, ASSESSMENT_LOCK, wait=lock_wait, on_wait=on_wait),
        no_cyclic_gc(),
    ):
        started = now or dt.datetime.now(dt.UTC)
        previous = store.finding_lifecycles()
        view = load_view(store, catalog, started.date())
        staged = store.staged_findings(started)
        _stage(staged, _observed(view, producers), previous, started)
        finished = max(started, dt.datetime.now(dt.UTC)) if now is None else started
        recorded = store.record_staged(
            staged,
            started_at=started,
            finished_at=finished,
            catalog_version=catalog.version,
            assets=len(view.assets),
            method=method(producers),
            derived=_derived(view),
            actor=actor,
        )
    return AssessmentResult(
        recorded.run,
        recorded.new,
        recorded.mitigated,
        recorded.reopened,
        recorded.conflicts,
        recorded.open_by_severity,
        store,
    )
