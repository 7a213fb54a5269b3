"""One assessment: read the store, evaluate every producer, merge, write the findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from imagewarden.catalog import Catalog
from imagewarden.engine.facts import EnterpriseView, build_view
from imagewarden.engine.interface import FindingProducer
from imagewarden.engine.lifecycle import merge
from imagewarden.engine.producers import producers_for
from imagewarden.model import AssessmentRun, Finding
from imagewarden.store import Store
from imagewarden.store.locks import exclusive

ASSESSMENT_LOCK = "assessment"
DEFAULT_LOCK_WAIT = 600.0
"""Seconds an assessment waits for one already running on the same database."""


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    run: AssessmentRun
    findings: list[Finding]
    """Every finding as stored after this run (a person's concurrent decision included)."""
    new: int
    mitigated: int
    reopened: int
    conflicts: int = 0
    """Status changes this run did not make because a person changed the finding meanwhile."""


def load_view(store: Store, catalog: Catalog, today: dt.date) -> EnterpriseView:
    return build_view(catalog, store.sites(), store.assets(), store.observations(), today)


def evaluate(view: EnterpriseView, producers: Sequence[FindingProducer]) -> list[Finding]:
    """Every finding of this moment, without lifecycle (pure; no store access)."""
    found: dict[str, Finding] = {}
    for producer in producers:
        for finding in producer.produce(view):
            found.setdefault(finding.id, finding)
    return list(found.values())


def run_assessment(
    store: Store,
    catalog: Catalog,
    *,
    now: dt.datetime | None = None,
    producers: Sequence[FindingProducer] | None = None,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    on_wait: Callable[[], None] = lambda: None,
) -> AssessmentResult:
    """Evaluate every producer and write the findings; one assessment per database at a time.

    A second assessment waits (``on_wait`` is told once) up to ``lock_wait`` seconds, then
    raises LockTimeout. Findings are updated in place: lifecycle decisions recorded while this
    run evaluated are kept (see Store.record_assessment).
    """
    with exclusive(store.engine, ASSESSMENT_LOCK, wait=lock_wait, on_wait=on_wait):
        started = now or dt.datetime.now(dt.UTC)
        previous = {f.id: f for f in store.findings()}
        view = load_view(store, catalog, started.date())
        current = evaluate(view, producers or producers_for(store, catalog))
        merged = merge(previous, current, started)
        finished = max(started, dt.datetime.now(dt.UTC)) if now is None else started
        recorded = store.record_assessment(
            merged.findings,
            previous,
            started_at=started,
            finished_at=finished,
            catalog_version=catalog.version,
            assets=len(view.assets),
        )
    return AssessmentResult(
        recorded.run,
        recorded.findings,
        recorded.new,
        recorded.mitigated,
        recorded.reopened,
        recorded.conflicts,
    )
