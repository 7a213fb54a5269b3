"""The report's Resilience section, rendered from stored records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.report import render_report
from imagewarden.resilience import drills
from imagewarden.resilience.records import save_backup_check
from tests.assessing import gather, run_assessment
from tests.resilience.department import department

NOW = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def test_resilience_section_in_html_and_json(
    tmp_path: Path, sqlite_url: str, catalog: Catalog
) -> None:
    with open_store(sqlite_url, create=True) as store:
        store.save_inventory(department())
        save_backup_check(
            store, kind="restore_test", root="/b", asset_id="PACS-1", started_at=NOW, files=10,
            size=100, problem_files=0, manifest="",
            summary={"estimated_hours": 90.5, "rto_hours": 72, "within_rto": False},
        )  # fmt: skip
        drill_id = drills.schedule(store, "north", "Ransomware drill", NOW.date())
        drills.log(store, drill_id, "inject", "go", NOW)
        drills.finish(
            store, drill_id, [drills.NewItem("improvement", "Forms", "Lead", NOW.date())], NOW
        )
        run_assessment(store, catalog, now=NOW)
        context = gather(store, catalog, title="t")
        render_report(context, "html", tmp_path / "r.html")
        render_report(context, "json", tmp_path / "r.json")
    section = next(s for s in context.sections if s.key == "resilience")
    assert section.data["backups"][0][3].startswith("10 files restored, full restore about 90.5 h")
    html = (tmp_path / "r.html").read_text()
    assert "Resilience: backups, recovery, drills" in html and "Ransomware drill" in html
    assert "beyond RTO of 72 h" in html
    assert "Main PACS" in html  # the recovery plan names the site's assets
    assert '"resilience"' in (tmp_path / "r.json").read_text()
