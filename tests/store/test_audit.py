"""The audit trail: decisions are recorded with who made them, and tampering is detected."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, update

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.model import FindingStatus
from imagewarden.store import Store
from imagewarden.store.audit import AuditRow
from tests.assessing import run_assessment
from tests.factories import NOW, asset, inventory


@pytest.fixture
def audited(db_url: str, catalog: Catalog) -> Store:
    store = open_store(db_url, create=True)
    store.save_inventory(inventory(asset("CT-1")))
    run_assessment(store, catalog, now=NOW)
    finding = store.findings()[0]
    store.set_finding_status(
        finding.id, FindingStatus.ACCEPTED, "ordered", dt.date(2027, 1, 1), actor="alice"
    )
    store.set_finding_status(finding.id, FindingStatus.OPEN, "withdrawn", actor="bob")
    return store


def test_each_decision_is_recorded_with_its_actor_and_values(audited: Store) -> None:
    with audited:
        entries = audited.audit_entries()
        check = audited.verify_audit()
    assert [e.action for e in entries] == ["finding.open", "finding.accepted", "assessment.run"]
    latest = entries[0]
    assert latest.actor == "bob"
    assert latest.before is not None and latest.before["status"] == "accepted"
    assert latest.after is not None and latest.after["status"] == "open"
    assert check.intact and check.rows == 3


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(update(AuditRow).where(AuditRow.id == 2).values(actor="mallory"), id="edit"),
        pytest.param(delete(AuditRow).where(AuditRow.id == 2), id="delete"),
        pytest.param(
            update(AuditRow).where(AuditRow.id == 3).values(previous_hash="0" * 64),
            id="relink",
        ),
    ],
)
def test_tampering_is_detected_at_the_first_bad_row(audited: Store, tamper: object) -> None:
    with audited:
        with audited.writing() as session:
            session.execute(tamper)  # type: ignore[call-overload]
        check = audited.verify_audit()
    assert not check.intact
    assert check.first_bad in (2, 3)


def test_a_failed_change_leaves_no_audit_entry(audited: Store) -> None:
    with audited:
        before = len(audited.audit_entries())
        with pytest.raises(Exception, match="no finding"):
            audited.set_finding_status("iwf-nope", FindingStatus.OPEN, "x", actor="eve")
        assert len(audited.audit_entries()) == before


def test_entries_have_aware_utc_times_on_every_database(audited: Store) -> None:
    with audited:
        entries = audited.audit_entries()
    assert entries and all(e.at.utcoffset() == dt.timedelta(0) for e in entries)
