"""One assessment: read the store, evaluate every producer, merge, write the findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from imagewarden.catalog import Catalog
from imagewarden.engine.facts import EnterpriseView, build_view
from imagewarden.engine.interface import FindingProducer
from imagewarden.engine.lifecycle import merge
from imagewarden.engine.producers import producers_for
from imagewarden.model import AssessmentRun, Finding
from imagewarden.store import Store


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    run: AssessmentRun
    findings: list[Finding]
    new: int
    mitigated: int
    reopened: int


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
) -> AssessmentResult:
    started = now or dt.datetime.now(dt.UTC)
    view = load_view(store, catalog, started.date())
    current = evaluate(view, producers or producers_for(store, catalog))
    previous = {f.id: f for f in store.findings()}
    merged = merge(previous, current, started)
    finished = max(started, dt.datetime.now(dt.UTC)) if now is None else started
    run = store.record_assessment(
        merged.findings,
        started_at=started,
        finished_at=finished,
        catalog_version=catalog.version,
        assets=len(view.assets),
        new=merged.new,
        mitigated=merged.mitigated,
    )
    return AssessmentResult(run, merged.findings, merged.new, merged.mitigated, merged.reopened)
