"""The demo's year of governance history: trends that improve, outputs that validate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pypdf
import pytest
from tests.assessing import run_assessment
from tests.governance.test_poam_exports import _errors

from imagewarden.app import Workspace, installed_capabilities, open_store
from imagewarden.app.reports import write_board
from imagewarden.catalog import Catalog
from imagewarden.demo.enterprise import write_demo_inventory
from imagewarden.demo.history import write_demo_governance_outputs, write_demo_history
from imagewarden.governance.metrics import ALL, culture_metrics, trend
from imagewarden.governance.overview import maturity_trend
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.inventory import ImportContext, read_inventory

TODAY = dt.date(2026, 11, 25)


@pytest.mark.slow
def test_demo_history_shows_progress_and_its_exports_validate(
    tmp_path: Path, catalog: Catalog, sqlite_url: str
) -> None:
    with open_store(sqlite_url, create=True) as store:
        path = write_demo_inventory(tmp_path / "inventory.json")
        context = ImportContext(catalog, observed_at=dt.datetime.now(dt.UTC))
        store.save_inventory(read_inventory(path, context))
        counts = write_demo_history(store, catalog, tmp_path / "governance", today=TODAY)
        assert counts["campaigns"] == 4 and counts["snapshots"] == 4
        gov = GovernanceStore(store)
        points = maturity_trend(store)
        assert len(points) == 4 and points[-1].value > points[0].value
        metrics = culture_metrics(gov.training(), gov.campaigns())
        clicks = trend(metrics, "click_rate", ALL)
        assert len(clicks) == 4 and (clicks[-1].value or 0) < (clicks[0].value or 1)
        # No address or name from the generated files reaches the database.
        assert (
            b"demo-health.invalid" not in Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
        )

        run_assessment(store, catalog)
        workspace = Workspace(store, catalog, installed_capabilities())
        outputs = write_demo_governance_outputs(workspace, tmp_path, "Demo")
        ar = json.loads((tmp_path / "oscal" / "assessment-results.json").read_text("utf-8"))
        pm = json.loads((tmp_path / "oscal" / "poam.json").read_text("utf-8"))
        assert _errors(ar, "oscal_assessment-results_schema.json") == []
        assert _errors(pm, "oscal_poam_schema.json") == []
        assert {p.name for p in outputs} >= {"poam.json", "assessment-results.json"}
        board = write_board(workspace, tmp_path / "board", enterprise="Demo")
        assert len(pypdf.PdfReader(board.paths[1]).pages) == 1
