"""The readiness report gets a "Governance and culture" section once there is anything to show."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.assessing import gather, run_assessment
from tests.governance.conftest import DATA

from imagewarden.catalog import Catalog
from imagewarden.governance.culture import read_gophish_csv
from imagewarden.governance.interface import AnswerRecord
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model.checklist import Answer
from imagewarden.report import render_report
from imagewarden.store import Store


def test_no_section_without_governance_data(catalog: Catalog, store: Store) -> None:
    run_assessment(store, catalog)
    context = gather(store, catalog, title="t")
    assert "governance" not in {s.key for s in context.sections}


def test_section_in_html_and_json(tmp_path: Path, catalog: Catalog, store: Store) -> None:
    gov = GovernanceStore(store)
    gov.add_answers(
        [
            AnswerRecord(
                "north",
                "ce-03",
                Answer.NO,
                "Clinical engineering lead",
                "",
                dt.date(2026, 9, 1),
                dt.date(2026, 12, 1),
            ),
        ],
        actor="test",
        action="checklist.import",
        target="test",
    )
    gov.save_campaign(read_gophish_csv(DATA / "gophish-results.csv"), actor="test")
    run_assessment(store, catalog)
    context = gather(store, catalog, title="t")
    section = next(s for s in context.sections if s.key == "governance")
    assert section.title == "Governance and culture"
    render_report(context, "html", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Governance and culture" in html and "ce-03" in html
    assert "Phishing click rate" in html and "NIST Cybersecurity Framework" in html
    render_report(context, "json", tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["sections"]["governance"]["answers"]["no"] == 1
