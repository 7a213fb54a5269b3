"""The assessment's fast path stores exactly what the plain definition of an assessment gives.

The fast path reads the newest facts straight from the observations table, evaluates the
catalog's compiled rules into tuples and writes staged rows with the driver. The definition
is the slow, obvious one: the view built from every ``Observation``, every producer's
``Finding`` objects (``evaluate``) and ``lifecycle.merge`` with the stored findings. Both
must agree on every field of every finding, on the demo enterprise and on a generated one,
for a first assessment and for a later one in which decisions were made, an acceptance
expired and some weaknesses were fixed (a newer fact from another source).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from imagewarden.app import open_store, open_workspace
from imagewarden.app.workspace import Workspace
from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView, ProducerContext
from imagewarden.demo.enterprise import demo_inventory, generate_enterprise
from imagewarden.engine import build_view, evaluate, run_assessment
from imagewarden.engine.lifecycle import merge
from imagewarden.inventory.api import import_inventory
from imagewarden.model import (
    Finding,
    FindingStatus,
    Observation,
    ObservationSource,
    SubjectKind,
)
from imagewarden.store import ObservationBatch
from imagewarden.store.codec import encode_evidence
from tests.factories import asset, inventory

FIRST = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
LATER = FIRST + dt.timedelta(days=9)
FIXED_FACT = "smb.v1_enabled"


def _expected(workspace: Workspace, now: dt.datetime) -> dict[str, Finding]:
    """What an assessment at ``now`` must store, by the plain definition."""
    store, catalog = workspace.store, workspace.catalog
    today = now.date()
    view = build_view(catalog, store.sites(), store.assets(), store.observations(), today)
    producers = workspace.producers(ProducerContext(store, catalog, today))
    previous = {f.id: f for f in store.findings()}
    return {f.id: f for f in merge(previous, evaluate(view, producers), now).findings}


def _assessed(workspace: Workspace, now: dt.datetime) -> dict[str, Finding]:
    store, catalog = workspace.store, workspace.catalog
    producers = workspace.producers(ProducerContext(store, catalog, now.date()))
    run_assessment(store, catalog, producers, now=now)
    return {f.id: f for f in store.findings()}


def _same(expected: dict[str, Finding], stored: dict[str, Finding]) -> None:
    assert stored.keys() == expected.keys()
    for key, finding in expected.items():
        # Stored evidence holds dates as ISO text; the revision counts decisions and
        # lifecycle writes, which the definition (no store) does not make.
        wanted = dataclasses.replace(finding, evidence=encode_evidence(finding.evidence))
        assert dataclasses.replace(stored[key], revision=0) == dataclasses.replace(
            wanted, revision=0
        ), key


def _decide(workspace: Workspace) -> None:
    """A person's decisions between the two assessments, one of each kind."""
    store = workspace.store
    ranked = store.findings()
    assert len(ranked) > 3
    store.set_finding_status(ranked[0].id, FindingStatus.ACCEPTED, "expires", dt.date(2026, 12, 5))
    store.set_finding_status(ranked[1].id, FindingStatus.ACCEPTED, "holds", dt.date(2027, 6, 30))
    store.set_finding_status(ranked[2].id, FindingStatus.FALSE_POSITIVE, "not so")
    store.set_finding_status(ranked[3].id, FindingStatus.MITIGATED, "patched")


def _fix(workspace: Workspace) -> int:
    """A probe finds SMBv1 switched off where the inventory said on (a newer fact wins)."""
    store = workspace.store
    stale = [
        o
        for o in store.observations(names=[FIXED_FACT])
        if o.value is True and o.subject_kind is SubjectKind.ASSET
    ]
    fixes = tuple(
        Observation(
            SubjectKind.ASSET, o.subject_id, FIXED_FACT, False, ObservationSource.PROBED, LATER
        )
        for o in stale
    )
    store.apply_observations(ObservationBatch(ObservationSource.PROBED, fixes))
    return len(fixes)


def _demo(_folder: Path) -> dict[str, Any]:
    return demo_inventory()


def _generated(_folder: Path) -> dict[str, Any]:
    return generate_enterprise(300, 4, seed=11)


@pytest.mark.parametrize("inventory", [_demo, _generated], ids=["demo", "generated"])
def test_assessments_store_what_the_definition_gives(
    db_url: str, tmp_path: Path, inventory: Callable[[Path], dict[str, Any]]
) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inventory(tmp_path)), encoding="utf-8")
    with open_workspace(db_url, create=True, actor="test") as workspace:
        import_inventory(workspace, [path], now=FIRST - dt.timedelta(hours=1))
        expected = _expected(workspace, FIRST)
        _same(expected, _assessed(workspace, FIRST))
        assert len(expected) > 100

        _decide(workspace)
        fixed = _fix(workspace)
        expected = _expected(workspace, LATER)
        stored = _assessed(workspace, LATER)
    _same(expected, stored)
    statuses = {f.status for f in stored.values()}
    assert {FindingStatus.OPEN, FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE} <= statuses
    reasons = {f.status_reason for f in stored.values()}
    assert fixed > 0
    assert {"risk acceptance expired", "observed again", "no longer observed"} <= reasons


class _Failing:
    name = "failing"

    def produce(self, view: EnterpriseView) -> Iterator[Finding]:
        assert gc.isenabled() is False  # the collector is kept out while findings are made
        raise RuntimeError("producer broke")
        yield  # pragma: no cover - a generator


def test_a_failed_assessment_writes_nothing_and_restores_the_collector(
    sqlite_url: str, catalog: Catalog
) -> None:
    with open_store(sqlite_url, create=True) as store:
        store.save_inventory(inventory(asset("CT-1")))
        with pytest.raises(RuntimeError, match="producer broke"):
            run_assessment(store, catalog, [_Failing()], now=FIRST)
        assert store.counts()["assessments"] == 0 and store.finding_count() == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
