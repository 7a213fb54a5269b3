"""Reading discovery results back from a store, the way the report would see them."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imagewarden.app import Workspace, installed_capabilities, load_catalog, open_store
from imagewarden.catalog import Catalog
from imagewarden.discovery import api
from imagewarden.discovery.batch import DiscoveryBatch, TargetResult
from imagewarden.discovery.interface import Profile, ServiceResult
from imagewarden.model import FactValue, SubjectKind
from imagewarden.store import Store

ACCESS_CHECKS = {
    "urn:imagewarden:check:dicom-any-called-ae",
    "urn:imagewarden:check:dicom-unknown-calling-ae",
    "urn:imagewarden:check:dicom-unknown-calling-ae-echo-only",
    "urn:imagewarden:check:dicom-anonymous-query",
    "urn:imagewarden:check:dicom-anonymous-query-exposes-studies",
    "urn:imagewarden:check:dicomweb-anonymous-query",
    "urn:imagewarden:check:dicomweb-anonymous-query-exposes-studies",
    "urn:imagewarden:check:service-without-authentication",
    "urn:imagewarden:check:default-credentials",
}


def service_facts(db: str) -> dict[str, dict[str, FactValue]]:
    """Probed facts per service key (asset:protocol/port)."""
    facts: dict[str, dict[str, FactValue]] = defaultdict(dict)
    with open_store(db) as store:
        for obs in store.observations():
            if obs.subject_kind is SubjectKind.SERVICE:
                facts[obs.subject_id][obs.name] = obs.value
    return dict(facts)


def by_port(db: str, port: int) -> dict[str, FactValue]:
    matches = [f for key, f in service_facts(db).items() if key.endswith(f"/{port}")]
    assert len(matches) == 1, f"expected one service on port {port}, got {len(matches)}"
    return matches[0]


def open_checks(db: str) -> set[str]:
    with open_store(db) as store:
        return {f.check_id for f in store.findings() if f.status.value == "open"}


def dump_sqlite(path: Path) -> str:
    """Every row of every table as text, for leak checks."""
    lines: list[str] = []
    with sqlite3.connect(path) as connection:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                lines.append(repr(row))
    return "\n".join(lines)


def batch_of(results: Sequence[ServiceResult], **fields: Any) -> DiscoveryBatch:
    """A batch holding ``results``, as ``collect`` would make it (safe profile by default)."""
    now = dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {
        "batch_id": "test-batch",
        "site": "lab",
        "scope_source": "scope.yaml",
        "scope_digest": "0" * 64,
        "authorised_by": "test suite",
        "profile": Profile.SAFE,
        "started_at": now,
        "finished_at": now,
        "results": tuple(TargetResult.of(r) for r in results),
    }
    values.update(fields)
    return DiscoveryBatch(**values)


def apply_batch(
    store: Store, batch: DiscoveryBatch, catalog: Catalog | None = None
) -> api.DiscoverySummary:
    """``apply`` through a workspace on ``store``."""
    workspace = Workspace(
        store, catalog or load_catalog(), installed_capabilities(), actor="test suite"
    )
    return api.apply(workspace, batch)
