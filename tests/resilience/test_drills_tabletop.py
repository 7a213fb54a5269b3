"""Drills (schedule, log, after-action items, findings) and deterministic tabletop packages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.cli.app import app
from imagewarden.model import FindingStatus, Site, UserInputError
from imagewarden.resilience import api
from imagewarden.resilience.data import ResilienceData
from imagewarden.resilience.drills import DrillState, parse_improvement
from imagewarden.resilience.inventory_view import SiteView
from imagewarden.resilience.render import render_html
from imagewarden.resilience.store.repository import ResilienceRepository
from imagewarden.resilience.tabletop import generate
from tests.assessing import run_assessment
from tests.cli_runner import expect
from tests.resilience.conftest import workspace_on
from tests.resilience.department import department

runner = CliRunner()
OVERDUE = "urn:imagewarden:check:site-drill-improvements-overdue"
DRILL_OVERDUE = "urn:imagewarden:check:site-downtime-drill-overdue"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "iw.db")
    with open_store(path, create=True) as store:
        store.save_inventory(department())
    return path


def _open_checks(db: str, catalog: Catalog) -> set[str]:
    with open_store(db) as store:
        result = run_assessment(store, catalog)
    return {
        f"{f.check_id}@{f.subject_id}" for f in result.findings if f.status is FindingStatus.OPEN
    }


def test_drill_lifecycle_through_the_cli(db: str, tmp_path: Path, catalog: Catalog) -> None:
    assert f"{DRILL_OVERDUE}@north" in _open_checks(db, catalog)
    iw = ["--db", db, "drill"]
    result = runner.invoke(app, [*iw, "schedule", "--site", "north", "--title", "PACS down",
                                 "--on", "2026-10-01"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    drill_id = result.stdout.strip()
    for at, kind, text in (
        ("2026-10-01T09:00:00", "inject", "PACS unreachable"),
        ("2026-10-01T09:07:30", "action", "Downtime declared"),
    ):
        result = runner.invoke(app, [*iw, "log", drill_id, text, "--kind", kind, "--at", at])
        assert result.exit_code == 0, result.stderr
    report = tmp_path / "aar.html"
    result = runner.invoke(app, [
        *iw, "report", drill_id, "--went-well", "Fast call-out", "--gap", "No forms",
        "--improve", "Print downtime forms | Radiology manager | 2020-01-31",
        "--improve", "Measure CT local storage | Biomed | 2099-01-31", "--out", str(report),
    ])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = report.read_text()
    assert "09:07:30" in html and "Print downtime forms" in html and "overdue" in html

    checks = _open_checks(db, catalog)
    assert f"{OVERDUE}@north" in checks  # the 2020 item is late
    assert f"{DRILL_OVERDUE}@north" not in checks  # a drill was just done
    with open_store(db) as store:
        items = {i.text: i.id for i in ResilienceRepository(store).drill_items()}
    result = runner.invoke(app, [*iw, "done", str(items["Print downtime forms"])])
    assert result.exit_code == 0
    assert f"{OVERDUE}@north" not in _open_checks(db, catalog)


def test_drill_input_errors(db: str, catalog: Catalog, tmp_path: Path) -> None:
    bad_date = expect(2, "drill", "schedule", "--site", "north", "--title", "x",
                      "--on", "next week", db=db)  # fmt: skip
    assert "not a date" in bad_date.stderr
    with pytest.raises(UserInputError, match="owner"):
        parse_improvement("Fix it | 2026-01-01")
    with open_store(db) as store:
        workspace = workspace_on(store, catalog)
        drill = api.schedule_drill(workspace, site_id="north", title="x", on=dt.date(2026, 1, 1))
        with pytest.raises(UserInputError, match="no log yet"):
            api.report_drill(workspace, api.DrillReportRequest(drill.id, tmp_path / "a.html"))
        with pytest.raises(UserInputError, match="no site"):
            api.schedule_drill(workspace, site_id="mars", title="x", on=dt.date(2026, 1, 1))
        with pytest.raises(UserInputError, match="unknown scenario"):
            api.schedule_drill(
                workspace, site_id="north", title="x", on=dt.date(2026, 1, 1), scenario="moon"
            )
        with pytest.raises(UserInputError, match="control character"):
            api.log_drill(workspace, drill.id, "bad\x00text")
    assert not (tmp_path / "a.html").exists()
    bad_kind = expect(2, "drill", "log", "1", "x", "--kind", "rumour", db=db)
    assert "rumour" in bad_kind.stderr


def test_one_state_machine_for_every_drill_command(db: str, tmp_path: Path) -> None:
    drill_id = expect(0, "drill", "schedule", "--site", "north", "--title", "PACS down",
                      "--on", "2026-10-01", db=db).stdout.strip()  # fmt: skip
    expect(2, "drill", "report", drill_id, "--out", tmp_path / "early.html", db=db)
    logged = expect(0, "drill", "log", drill_id, "PACS unreachable", "--kind", "inject",
                    "--at", "2026-10-01T09:00:00", db=db)  # fmt: skip
    # success is said (on stderr: stdout stays clean for scripts)
    assert f"drill {drill_id} running: inject logged at 2026-10-01 09:00:00 UTC" in logged.stderr
    first = tmp_path / "aar.html"
    improve = "Print forms | Manager | 2099-01-31"
    done = expect(0, "drill", "report", drill_id, "--gap", "No forms", "--improve", improve,
                  "--out", first, db=db)  # fmt: skip
    assert done.stdout.split() == [str(first)]
    with open_store(db) as store:
        records = ResilienceRepository(store)
        before = records.drill(int(drill_id))
        items = records.drill_items(int(drill_id))
    assert before.state is DrillState.FINISHED
    # a finished drill: its log and its items are closed, whichever command asks
    refused = expect(2, "drill", "log", drill_id, "Late note", db=db)
    assert "finished" in refused.stderr and "log is closed" in refused.stderr
    refused = expect(2, "drill", "report", drill_id, "--gap", "Another gap",
                     "--out", tmp_path / "again.html", db=db)  # fmt: skip
    assert "items are closed" in refused.stderr
    assert not (tmp_path / "again.html").exists()
    with open_store(db) as store:
        records = ResilienceRepository(store)
        assert records.drill(int(drill_id)) == before  # not re-finished
        assert records.drill_items(int(drill_id)) == items  # nothing appended
        assert [e.text for e in records.drill_events(int(drill_id))] == ["PACS unreachable"]
    # without items, the report of a finished drill is written again, unchanged
    again = tmp_path / "again.html"
    rewritten = expect(0, "drill", "report", drill_id, "--out", again, db=db)
    assert "already finished" in rewritten.stderr
    assert again.read_text() == first.read_text()
    # only improvements are done, once
    gap_item = next(i for i in items if i.text == "No forms")
    expect(2, "drill", "done", str(gap_item.id), db=db)
    improvement = next(i for i in items if i.text == "Print forms")
    marked = expect(0, "drill", "done", str(improvement.id), "--on", "2026-10-05", db=db)
    assert "done on 2026-10-05" in marked.stderr
    expect(2, "drill", "done", str(improvement.id), db=db)


def test_drill_list_as_json(db: str) -> None:
    drill_id = expect(0, "drill", "schedule", "--site", "north", "--title", "PACS down",
                      "--on", "2026-10-01", db=db).stdout.strip()  # fmt: skip
    listed = json.loads(expect(0, "drill", "list", "--format", "json", db=db).stdout)
    assert listed["drills"][0]["id"] == int(drill_id)
    assert listed["drills"][0]["state"] == "scheduled"
    assert listed["open_items"] == []


def _package_html(data: ResilienceData, seed: int) -> str:
    view = SiteView.build(Site("north", "North Hospital"), department().assets)
    package = generate(data.scenarios["ransomware-weekend"], view, data, seed)
    return render_html("tabletop.html.j2", pkg=package)


def _cast(data: ResilienceData, seed: int) -> tuple[tuple[str, str], ...]:
    view = SiteView.build(Site("north", "North Hospital"), department().assets)
    return generate(data.scenarios["ransomware-weekend"], view, data, seed).cast


def test_tabletop_is_byte_identical_for_a_seed_and_names_real_assets(
    data: ResilienceData,
) -> None:
    first, again = _package_html(data, 3), _package_html(data, 3)
    assert first == again
    assert "North Hospital" in first and ("ED CT" in first or "Main MR" in first)
    assert "Main PACS" in first or "Enterprise VNA" in first
    assert "South CT" not in first
    assert "T+00:15" in first and "Evaluation criteria" in first
    assert "PACS administrator" in first  # questions per role
    casts = {_cast(data, seed) for seed in range(1, 11)}
    assert len(casts) > 1  # seeds vary which systems the injects name


def test_tabletop_command_writes_html_and_pdf(db: str, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    args = ["--db", db, "tabletop", "generate", "--site", "north", "--seed", "9"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert (out / "tabletop.pdf").read_bytes().startswith(b"%PDF")
    again = tmp_path / "again"
    runner.invoke(app, [*args, "--out", str(again), "--no-pdf"])
    assert (out / "tabletop.html").read_bytes() == (again / "tabletop.html").read_bytes()
    bad = runner.invoke(app, [*args, "--scenario", "alien-invasion"])
    assert bad.exit_code == 2 and "unknown scenario" in bad.stderr


def test_after_action_improvements_become_plan_of_action_items(db: str) -> None:
    iw = ["--db", db]
    drill_id = runner.invoke(app, [*iw, "drill", "schedule", "--site", "north", "--title",
                                   "PACS down", "--on", "2026-10-01"]).stdout.strip()  # fmt: skip
    runner.invoke(app, [*iw, "drill", "log", drill_id, "PACS unreachable", "--kind", "inject",
                        "--at", "2026-10-01T09:00:00"])  # fmt: skip
    result = runner.invoke(app, [*iw, "drill", "report", drill_id, "--gap", "No forms",
                                 "--improve", "Print downtime forms | Radiology manager | "
                                 "2099-01-31",
                                 "--out", str(Path(db).with_name("aar.html"))])  # fmt: skip
    assert result.exit_code == 0, result.stderr

    def plan_rows() -> list[dict[str, str]]:
        import csv
        import io

        out = Path(db).with_name("poam.csv")
        result = runner.invoke(app, [*iw, "poam", "--csv", str(out)])
        assert result.exit_code == 0, result.stderr
        return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))

    rows = [r for r in plan_rows() if "Print downtime forms" in r["title"]]
    assert len(rows) == 1
    assert rows[0]["owner"] == "Radiology manager"
    assert rows[0]["due"] == "2099-01-31"
    assert rows[0]["source_kind"] == "drill"
    assert rows[0]["status"] == "open"

    with open_store(db) as store:
        records = ResilienceRepository(store)
        item = next(i for i in records.drill_items() if i.text == "Print downtime forms")
    assert runner.invoke(app, [*iw, "drill", "done", str(item.id)]).exit_code == 0
    rows = [r for r in plan_rows() if "Print downtime forms" in r["title"]]
    assert [r["status"] for r in rows] == ["closed"]
