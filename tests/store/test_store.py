"""The store on SQLite and on PostgreSQL: migrations, round trips, atomic writes."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from imagewarden.model import (
    FindingStatus,
    RiskFactor,
    RiskScore,
    Severity,
    SubjectKind,
    UserInputError,
    finding_fingerprint,
)
from imagewarden.model.finding import Finding
from imagewarden.store import FindingFilter, Schema, Store, StoreUnavailable, resolve_url
from imagewarden.store.schema_versions import current_revisions
from tests.factories import NOW, asset, fact, inventory, site_fact


def _finding(check: str, asset_id: str, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        id=finding_fingerprint(check, SubjectKind.ASSET, asset_id),
        check_id=check,
        subject_kind=SubjectKind.ASSET,
        subject_id=asset_id,
        site_id="north",
        asset_id=asset_id,
        title="t",
        severity=severity,
        risk=RiskScore(70, (RiskFactor("severity", "high", 40, 30, "r"),)),
        evidence={"asset.os": "Windows 7", "os.end_of_support": dt.date(2020, 1, 14)},
        safeguards=("urn:imagewarden:safeguard:segment-imaging-network",),
        extra={"cve": "CVE-2017-0144", "kev": True, "epss": 0.94},
        first_seen=NOW,
        last_seen=NOW,
    )


def test_init_creates_every_table_at_the_head_revision(db_url: str) -> None:
    with Store.open(db_url, create=True) as store:
        tables = set(inspect(store.engine).get_table_names())
        assert current_revisions(store.engine) == Schema().heads()
    assert {"sites", "assets", "services", "observations", "findings", "assessments"} <= tables


def test_open_refuses_an_uninitialised_database(db_url: str) -> None:
    expected = "no database at" if db_url.startswith("sqlite") else "not initialised"
    with pytest.raises(UserInputError, match=expected):
        Store.open(db_url)
    if db_url.startswith("sqlite"):  # a mistyped path leaves no empty database behind
        assert not Path(db_url.removeprefix("sqlite:///")).exists()


def test_inventory_round_trip(db_url: str) -> None:
    inv = inventory(
        asset("CT-1", ip_addresses=("10.0.0.5",), end_of_support=dt.date(2027, 3, 1)),
        asset("MR-1", site="south"),
        observations=(
            fact("CT-1", "phi.stored", True),
            site_fact("north", "site.downtime_plan", False),
            fact("CT-1", "backup.last_tested", dt.date(2025, 5, 1)),
        ),
    )
    with Store.open(db_url, create=True) as store:
        summary = store.save_inventory(inv, NOW)
        assert (summary.sites_added, summary.assets_added, summary.assets_updated) == (2, 2, 0)
        assets = {a.id: a for a in store.assets()}
        assert assets["CT-1"] == inv.assets[0]
        assert assets["MR-1"].services[0].ae_title == "CT1"
        values = {(o.subject_id, o.name): o.value for o in store.observations()}
        assert values[("CT-1", "phi.stored")] is True
        assert values[("CT-1", "backup.last_tested")] == dt.date(2025, 5, 1)
        assert values[("north", "site.downtime_plan")] is False
        assert [s.id for s in store.sites()] == ["north", "south"]


def test_reimport_updates_and_replaces_imported_facts(db_url: str) -> None:
    with Store.open(db_url, create=True) as store:
        store.save_inventory(
            inventory(asset("CT-1"), observations=(fact("CT-1", "phi.stored", True),))
        )
        summary = store.save_inventory(inventory(asset("CT-1", name="Renamed")))
        assert (summary.assets_added, summary.assets_updated) == (0, 1)
        assert store.assets()[0].name == "Renamed"
        # the second file no longer states phi.stored: it is unknown again, not stale
        assert store.observations() == []


def test_failed_import_writes_nothing(db_url: str) -> None:
    with Store.open(db_url, create=True) as store:
        store.save_inventory(inventory(asset("CT-1")))
        before = store.counts()
        broken = inventory(asset("CT-2"), asset("CT-3", site="missing-site-row"))
        # CT-2 is fine; CT-3 names a site that is neither in the file nor in the store
        broken = type(broken)(sites=(), assets=broken.assets, observations=broken.observations)
        with pytest.raises(Exception):  # noqa: B017 - the foreign key violation of either backend
            store.save_inventory(broken)
        assert store.counts() == before


def test_findings_round_trip_and_filters(db_url: str) -> None:
    a = _finding("urn:imagewarden:check:os-end-of-life", "CT-1")
    b = _finding("urn:imagewarden:check:dicom-without-tls", "CT-2", Severity.MEDIUM)
    with Store.open(db_url, create=True) as store:
        run = store.record_assessment(
            [a, b], {}, started_at=NOW, finished_at=NOW, catalog_version="x", assets=2
        ).run
        assert run.findings_open == 2 and run.findings_new == 2
        assert store.latest_assessment() == run
        stored = {f.id: f for f in store.findings()}
        assert stored[a.id].evidence["os.end_of_support"] == "2020-01-14"
        assert stored[a.id].risk == a.risk
        assert stored[a.id].extra == {"cve": "CVE-2017-0144", "kev": True, "epss": 0.94}
        assert stored[a.id].first_seen == NOW
        high = store.findings(FindingFilter(min_severity=Severity.HIGH))
        assert [f.id for f in high] == [a.id]
        assert [f.id for f in store.findings(FindingFilter(asset_id="CT-2"))] == [b.id]
        accepted = store.set_finding_status(
            a.id, FindingStatus.ACCEPTED, "vendor upgrade booked", dt.date(2027, 1, 31)
        )
        assert accepted.status is FindingStatus.ACCEPTED
        assert store.findings(FindingFilter(status=FindingStatus.ACCEPTED))[0].accepted_until == (
            dt.date(2027, 1, 31)
        )
        with pytest.raises(UserInputError, match="no finding"):
            store.set_finding_status("iwf-nope", FindingStatus.FALSE_POSITIVE, "x")


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Store.open(str(path), create=True).close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGEWARDEN_DB", raising=False)
    assert resolve_url(None) == "sqlite:///imagewarden.db"
    assert resolve_url("x/y.db") == "sqlite:///x/y.db"
    monkeypatch.setenv("IMAGEWARDEN_DB", "postgresql+psycopg://h/db")
    assert resolve_url(None) == "postgresql+psycopg://h/db"
    assert resolve_url("sqlite:///o.db") == "sqlite:///o.db"
    with pytest.raises(UserInputError, match="invalid database URL"):
        resolve_url("nosuchdialect+://::")


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match="refused the connection") as raised:
        Store.open("postgresql+psycopg://nobody:secret@127.0.0.1:9/none", create=True)
    assert "secret" not in str(raised.value)


def test_unknown_database_dialect_is_a_clear_error() -> None:
    with pytest.raises(UserInputError, match="driver not installed"):
        Store.open("oracle9000://host/db", create=True)


def test_findings_are_read_as_they_are_taken(db_url: str) -> None:
    """A listing written out as it is read (``each_finding``) gives what ``findings`` gives,
    filters and limit included; one that stops early (a pipe into ``head``) gives its
    connection back."""
    many = [
        _finding(f"urn:imagewarden:check:c{n % 7}", f"CT-{n}", list(Severity)[n % 5])
        for n in range(60)
    ]
    with Store.open(db_url, create=True) as store:
        store.record_assessment(
            many, {}, started_at=NOW, finished_at=NOW, catalog_version="x", assets=60
        )
        for where, limit in (
            (None, 0),
            (FindingFilter(min_severity=Severity.HIGH), 0),
            (FindingFilter(check_id="urn:imagewarden:check:c3"), 0),
            (None, 5),
        ):
            each = store.each_finding(where, evidence=False, limit=limit)
            assert iter(each) is each  # read as taken, not a list
            assert list(each) == store.findings(where, evidence=False, limit=limit)
        pool = store.engine.pool
        taken = store.each_finding()
        first = next(taken)
        assert first == store.findings(limit=1)[0]
        assert pool.checkedout() == 1
        taken.close()
        assert pool.checkedout() == 0
