"""Risk factors stored once per distinct set: findings read back whole, before and after the
migration that moved them out of the finding rows, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, replace

from alembic import command
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
from imagewarden.store import Schema, Store
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


def _finding(asset_id: str, factors: tuple[RiskFactor, ...], score: int) -> Finding:
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
        safeguards=("urn:imagewarden:safeguard:segment-imaging-network",),
        first_seen=NOW,
        last_seen=NOW,
    )


FINDINGS = (
    _finding("CT-1", EXPOSED, 80),
    _finding("CT-2", INTERNAL, 65),
    _finding("CT-3", EXPOSED, 80),
    _finding("CT-4", INTERNAL, 65),
)


def _record(store: Store) -> None:
    store.record_assessment(
        FINDINGS, {}, started_at=NOW, finished_at=NOW, catalog_version="x", assets=4
    )


def _risks(store: Store) -> dict[str, RiskScore]:
    return {f.id: f.risk for f in store.findings()}


def _sets(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM risk_factor_sets")).scalar_one())


def test_findings_scored_alike_share_one_set_and_read_back_whole(db_url: str) -> None:
    with Store.open(db_url, create=True) as store:
        _record(store)
        _record(store)  # seen again: the sets are there already
        assert _sets(store) == 2
        expected = {f.id: f.risk for f in FINDINGS}
        assert _risks(store) == expected
        with store.snapshot() as snapshot:
            streamed = StoredFindings(snapshot).in_risk_order()  # what a large report reads
            assert {f.id: f.risk for f in streamed} == expected
        decided = store.set_finding_status(FINDINGS[1].id, FindingStatus.FALSE_POSITIVE, "lab")
        assert decided.risk == FINDINGS[1].risk


def test_the_migration_moves_stored_factors_into_sets_and_back(db_url: str) -> None:
    config = Schema().config()
    with Store.open(db_url, create=True) as store:
        _record(store)
        before = store.findings()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "core@-1")
        with store.engine.connect() as connection:
            stored = connection.execute(text("SELECT id, risk_factors FROM findings")).all()
        by_id = {f.id: f for f in FINDINGS}
        for finding_id, factors in stored:  # each row holds its own factors again
            decoded = json.loads(factors) if isinstance(factors, str) else factors
            assert decoded == [asdict(f) for f in by_id[finding_id].risk.factors]
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
        assert current_revisions(store.engine) == Schema().heads()
        assert _sets(store) == 2
        assert store.findings() == before
        assert {f.id: f.risk for f in before} == {f.id: f.risk for f in FINDINGS}


def test_an_assessment_after_the_migration_keeps_using_the_migrated_sets(db_url: str) -> None:
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
        assert _sets(store) == 2
        assert _risks(store) == {f.id: f.risk for f in FINDINGS}
