"""One assessment: read the store, evaluate every producer, merge, write the findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView, FindingProducer
from imagewarden.engine.facts import build_view
from imagewarden.engine.lifecycle import merge
from imagewarden.engine.risk import RISK_FORMULA, WEIGHTS
from imagewarden.model import AssessmentRun, FactValue, Finding, SubjectKind
from imagewarden.store import Store
from imagewarden.store.locks import exclusive

ASSESSMENT_LOCK = "assessment"
DEFAULT_LOCK_WAIT = 600.0
"""Seconds an assessment waits for one already running on the same database."""


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    """What one assessment found and wrote."""

    run: AssessmentRun
    findings: list[Finding]
    """Every finding as stored after this run (a person's concurrent decision included)."""
    new: int
    mitigated: int
    reopened: int
    conflicts: int = 0
    """Status changes this run did not make because a person changed the finding meanwhile."""


def load_view(store: Store, catalog: Catalog, today: dt.date) -> EnterpriseView:
    """The facts of every site, asset and service as of ``today``."""
    return build_view(catalog, store.sites(), store.assets(), store.observations(), today)


def evaluate(view: EnterpriseView, producers: Sequence[FindingProducer]) -> list[Finding]:
    """Every finding of this moment, without lifecycle (pure; no store access)."""
    found: dict[str, Finding] = {}
    for producer in producers:
        for finding in producer.produce(view):
            found.setdefault(finding.id, finding)
    return list(found.values())


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
    run evaluated are kept (see ``Store.record_assessment``).
    """
    with exclusive(store.engine, ASSESSMENT_LOCK, wait=lock_wait, on_wait=on_wait):
        started = now or dt.datetime.now(dt.UTC)
        previous = {f.id: f for f in store.findings()}
        view = load_view(store, catalog, started.date())
        current = evaluate(view, producers)
        merged = merge(previous, current, started)
        finished = max(started, dt.datetime.now(dt.UTC)) if now is None else started
        recorded = store.record_assessment(
            merged.findings,
            previous,
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
        recorded.findings,
        recorded.new,
        recorded.mitigated,
        recorded.reopened,
        recorded.conflicts,
    )
