"""Governance records round-trip on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

from tests.governance.conftest import DATA

from imagewarden.app import open_store
from imagewarden.governance.culture import read_gophish_json
from imagewarden.governance.interface import AnswerRecord, PlanItem, TrainingRecord
from imagewarden.governance.poam import item_id
from imagewarden.governance.repository import GovernanceStore
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
            ]
        )
        gov.add_training(
            [
                TrainingRecord(
                    "h1", "CT", "Basics", dt.date(2026, 5, 1), completed_on=dt.date(2026, 5, 2)
                )
            ],
            "lms.csv",
        )
        campaign = read_gophish_json(DATA / "gophish-api-results.json")
        gov.save_campaign(campaign)
        item = PlanItem(
            item_id("gap", "north:exec-02"),
            "gap",
            "north:exec-02",
            "north",
            "Answer",
            "low",
            "unassigned",
            "m",
            dt.date(2026, 6, 1),
            "open",
            dt.date(2026, 5, 1),
        )
        gov.save_plan_items([item])
        assert gov.current_answers()[0].notes == "half done"
        assert gov.training()[0].completed_on == dt.date(2026, 5, 2)
        loaded = gov.campaigns()[0]
        assert loaded.results == campaign.results  # datetimes come back in UTC
        assert gov.plan_items() == [item]
