"""Run a whole assessment in tests: the catalog's rules and every installed capability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from imagewarden.app import Workspace, installed_capabilities
from imagewarden.catalog import Catalog
from imagewarden.contracts import FindingProducer, ProducerContext
from imagewarden.engine import AssessmentResult
from imagewarden.engine import run_assessment as run_engine
from imagewarden.report.gather import gather_context
from imagewarden.report.interface import ReportContext
from imagewarden.store import Store


def run_assessment(
    store: Store,
    catalog: Catalog,
    *,
    now: dt.datetime | None = None,
    producers: Sequence[FindingProducer] | None = None,
    **options: Any,
) -> AssessmentResult:
    """What ``imagewarden assess`` runs, returning every finding (``producers`` overrides)."""
    if producers is None:
        workspace = Workspace(store, catalog, installed_capabilities())
        today = (now or dt.datetime.now(dt.UTC)).date()
        producers = workspace.producers(ProducerContext(store, catalog, today))
    return run_engine(store, catalog, producers, now=now, **options)


def gather(store: Store, catalog: Catalog, **options: Any) -> ReportContext:
    """The report's context with every installed capability's sections."""
    return gather_context(store, catalog, installed_capabilities(), **options)
