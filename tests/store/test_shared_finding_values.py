"""Risk factors and safeguard lists stored once per distinct value: findings read back whole,
before and after the migration that moved them out of the finding rows, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict, replace
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from imagewarden.model import (
    FindingStatus,
    RiskFactor,
    RiskScore,
    Severity,
    SubjectKind,
    finding_fingerprint,
)
from imagewarden.model.finding import Finding
from imagewarden.store import Base, Schema, Store
from imagewarden.store.finding_stream import StoredFindings
from imagewarden.store.schema_versions import current_revisions
from tests.factories import NOW

EXPOSED = (
    RiskFactor("severity", "high", 40.0, 30.0, "the check is rated high"),
    RiskFactor("exposure", "internet", 15.0, 15.0, "reachable from the internet"),
)
INTERNAL = (
    RiskFactor("severity", "high", 40.0, 30.0, "the check is rated high"),
    RiskFactor("exposure", "clinical", 15.0, 7.5, "on the clinical network"),
)


SEGMENT = ("urn:imagewarden:safeguard:segment-imaging-network",)
PATCH = ("urn:imagewarden:safeguard:patch-management", *SEGMENT)


def _finding(
    asset_id: str, factors: tuple[RiskFactor, ...], score: int, safeguards: tuple[str, ...]
) -> Finding:
    check = "urn:imagewarden:check:os-end-of-life"
    return Finding(
        id=finding_fingerprint(check, SubjectKind.ASSET, asset_id),
        check_id=check,
        subject_kind=SubjectKind.ASSET,
        subject_id=asset_id,
        site_id="north",
        asset_id=asset_id,
        title="Operating system past end of support",
        severity=Severity.HIGH,
        risk=RiskScore(score, factors),
        evidence={"asset.os": "Windows 7"},
        safeguards=safeguards,
        first_seen=NOW,
        last_seen=NOW,
    )


FINDINGS = (
    _finding("CT-1", EXPOSED, 80, SEGMENT),
    _finding("CT-2", INTERNAL, 65, PATCH),
    _finding("CT-3", EXPOSED, 80, PATCH),
    _finding("CT-4", INTERNAL, 65, SEGMENT),
)


def _json(value: Any) -> Any:
    """A JSON column's value: SQLite returns its text, PostgreSQL the decoded value."""
    return json.loads(value) if isinstance(value, str) else value


def _record(store: Store) -> None:
    store.record_assessment(
        FINDINGS, {}, started_at=NOW, finished_at=NOW, catalog_version="x", assets=4
    )


def _shared(findings: Iterable[Finding]) -> dict[str, tuple[RiskScore, tuple[str, ...]]]:
    """What is stored once for many findings, per finding id."""
    return {f.id: (f.risk, f.safeguards) for f in findings}


EXPECTED = _shared(FINDINGS)


def _stored_values(store: Store) -> tuple[int, int]:
    """(risk factor sets, safeguard lists) stored."""
    with store.engine.connect() as connection:
        return (
            int(connection.execute(text("SELECT count(*) FROM risk_factor_sets")).scalar_one()),
            int(connection.execute(text("SELECT count(*) FROM safeguard_lists")).scalar_one()),
        )


def test_findings_alike_share_one_stored_value_and_read_back_whole(db_url: str) -> None:
    with Store.open(db_url, create=True) as store:
        _record(store)
        _record(store)  # seen again: the values are there already
        assert _stored_values(store) == (2, 2)
        assert _shared(store.findings()) == EXPECTED
        with store.snapshot() as snapshot:
            streamed = StoredFindings(snapshot).in_risk_order()  # what a large report reads
            assert _shared(streamed) == EXPECTED
        decided = store.set_finding_status(FINDINGS[1].id, FindingStatus.FALSE_POSITIVE, "lab")
        assert _shared([decided]) == _shared([FINDINGS[1]])


def test_the_migration_moves_stored_values_out_of_the_rows_and_back(db_url: str) -> None:
    config = Schema().config()
    with Store.open(db_url, create=True) as store:
        _record(store)
        before = store.findings()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "core@-1")
        with store.engine.connect() as connection:
            query = text("SELECT id, risk_factors, safeguards FROM findings")
            stored = connection.execute(query).all()
        by_id = {f.id: f for f in FINDINGS}
        for finding_id, factors, safeguards in stored:  # each row holds its own values again
            finding = by_id[finding_id]
            assert _json(factors) == [asdict(f) for f in finding.risk.factors]
            assert _json(safeguards) == list(finding.safeguards)
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
        assert current_revisions(store.engine) == Schema().heads()
        assert _stored_values(store) == (2, 2)
        assert store.findings() == before
        assert _shared(before) == EXPECTED


def test_an_assessment_after_the_migration_keeps_using_the_migrated_values(db_url: str) -> None:
    config = Schema().config()
    with Store.open(db_url, create=True) as store:
        _record(store)
        for target in ("core@-1", "heads"):
            with store.engine.begin() as connection:
                config.attributes["connection"] = connection
                step = command.downgrade if target != "heads" else command.upgrade
                step(config, target)
        later = NOW + dt.timedelta(days=1)
        store.record_assessment(
            [replace(f, last_seen=later) for f in FINDINGS],  # observed again
            {f.id: f for f in store.findings()},
            started_at=later,
            finished_at=later,
            catalog_version="x",
            assets=4,
        )
        assert _stored_values(store) == (2, 2)  # the migration's keys are the store's
        assert _shared(store.findings()) == EXPECTED


def test_the_migrations_create_exactly_the_tables_the_store_declares(db_url: str) -> None:
    with Store.open(db_url, create=True) as store, store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = ("'findings'", "risk_factor_sets", "safeguard_lists")
    assert [d for d in diff if any(name in repr(d) for name in ours)] == []


def test_a_finding_without_risk_factors_or_safeguards_reads_back(db_url: str) -> None:
    # A producer may score with no factors and recommend nothing: both are the one empty
    # tuple, stored as a risk factor set and as a safeguard list all the same.
    bare = replace(_finding("US-1", (), 5, ()), risk=RiskScore(5, ()))
    with Store.open(db_url, create=True) as store:
        store.record_assessment(
            [bare, *FINDINGS], {}, started_at=NOW, finished_at=NOW, catalog_version="x", assets=5
        )
        assert _shared(store.findings()) == _shared([bare, *FINDINGS])
        with store.snapshot() as snapshot:
            assert _shared(StoredFindings(snapshot)) == _shared([bare, *FINDINGS])


def test_a_report_reads_each_finding_as_stored_but_its_evidence_and_times(db_url: str) -> None:
    with Store.open(db_url, create=True) as store:
        _record(store)
        until = dt.date(2031, 5, 17)
        store.set_finding_status(FINDINGS[2].id, FindingStatus.ACCEPTED, "vendor patch", until)
        store.set_finding_status(FINDINGS[3].id, FindingStatus.FALSE_POSITIVE, "lab device")
        whole = {f.id: f for f in store.findings()}
        with store.snapshot() as snapshot:
            streamed = list(StoredFindings(snapshot).in_risk_order())
        assert sorted(f.id for f in streamed) == sorted(whole)
        for finding in streamed:
            bare = replace(
                whole[finding.id], evidence={}, first_seen=None, last_seen=None, mitigated_at=None
            )
            assert finding == bare
        accepted = next(f for f in streamed if f.id == FINDINGS[2].id)
        assert (accepted.status, accepted.status_reason, accepted.accepted_until) == (
            FindingStatus.ACCEPTED,
            "vendor patch",
            until,
        )
        assert accepted.revision == 1
