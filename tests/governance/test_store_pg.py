"""Governance records round-trip on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

from tests.governance.conftest import DATA

from imagewarden.app import open_store
from imagewarden.governance.culture import read_gophish_json
from imagewarden.governance.interface import (
    AnswerRecord,
    PlanItem,
    PlanSource,
    PlanStatus,
    TrainingRecord,
)
from imagewarden.governance.poam import item_id
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import Severity
from imagewarden.model.checklist import Answer


def test_records_round_trip(db_url: str) -> None:
    with open_store(db_url, create=True) as store:
        gov = GovernanceStore(store)
        gov.add_answers(
            [
                AnswerRecord(
                    "north",
                    "exec-01",
                    Answer.PARTIAL,
                    "CISO office",
                    "",
                    dt.date(2026, 5, 1),
                    dt.date(2026, 8, 1),
                    "half done",
                )
            ],
            actor="test",
            action="checklist.answer",
            target="north:exec-01",
        )
        gov.add_training(
            [
                TrainingRecord(
                    "h1", "CT", "Basics", dt.date(2026, 5, 1), completed_on=dt.date(2026, 5, 2)
                )
            ],
            "lms.csv",
            actor="test",
        )
        campaign = read_gophish_json(DATA / "gophish-api-results.json")
        gov.save_campaign(campaign, actor="test")
        item = PlanItem(
            item_id(PlanSource.GAP, "north:exec-02"),
            PlanSource.GAP,
            "north:exec-02",
            "north",
            "Answer",
            Severity.LOW,
            "unassigned",
            "m",
            dt.date(2026, 6, 1),
            PlanStatus.OPEN,
            dt.date(2026, 5, 1),
        )
        written = gov.write_plan({item.id: item}, {}, lambda old, new: new, actor="test")
        assert written.added == 1
        assert gov.current_answers()[0].notes == "half done"
        assert gov.training()[0].completed_on == dt.date(2026, 5, 2)
        loaded = gov.campaigns()[0]
        assert loaded.results == campaign.results  # datetimes come back in UTC
        assert gov.plan_items() == [item]
        actions = [e.action for e in store.audit_entries()]
        assert actions == [
            "poam.sync",
            "culture.import.gophish",
            "culture.import.training",
            "checklist.answer",
        ]
        assert store.verify_audit().intact
