"""The report's Resilience section, rendered from stored records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.model import SubjectKind
from imagewarden.report import render_report
from imagewarden.resilience.drills import DrillItemKind, DrillLogKind, NewDrillItem
from imagewarden.resilience.records import BackupCheckKind, NewBackupCheck, fact_batch
from imagewarden.resilience.store.repository import ResilienceRepository
from tests.assessing import gather, run_assessment
from tests.resilience.department import department

NOW = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def test_resilience_section_in_html_and_json(
    tmp_path: Path, sqlite_url: str, catalog: Catalog
) -> None:
    with open_store(sqlite_url, create=True) as store:
        store.save_inventory(department())
        records = ResilienceRepository(store)
        records.save_backup_check(
            "tester",
            NewBackupCheck(
                BackupCheckKind.RESTORE_TEST, "/b", "PACS-1", NOW, files=10, bytes=100,
                problem_files=0, manifest="",
                summary={"estimated_hours": 90.5, "rto_hours": 72, "within_rto": False},
            ),
            fact_batch(SubjectKind.ASSET, "PACS-1", {"backup.restore_within_rto": False}, NOW),
        )  # fmt: skip
        drill = records.schedule_drill(
            "tester", site_id="north", title="Ransomware drill", on=NOW.date(), scenario=""
        )
        records.log_drill_event("tester", drill.id, DrillLogKind.INJECT, "go", NOW)
        records.finish_drill(
            "tester",
            drill.id,
            [NewDrillItem(DrillItemKind.IMPROVEMENT, "Forms", "Lead", NOW.date())],
            NOW,
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
