"""Drills (schedule, log, after-action items, findings) and deterministic tabletop packages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.cli.app import app
from imagewarden.model import FindingStatus, Site, UserInputError
from imagewarden.resilience import drills
from imagewarden.resilience.data import shipped
from imagewarden.resilience.inventory_view import SiteView
from imagewarden.resilience.render import render_html
from imagewarden.resilience.tabletop import generate
from tests.assessing import run_assessment
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
    items = {i.text: i.id for i in drills.items(open_store(db))}
    result = runner.invoke(app, [*iw, "done", str(items["Print downtime forms"])])
    assert result.exit_code == 0
    assert f"{OVERDUE}@north" not in _open_checks(db, catalog)


def test_drill_input_errors(db: str) -> None:
    iw = ["--db", db, "drill"]
    bad_date = runner.invoke(app, [*iw, "schedule", "--site", "north", "--title", "x",
                                   "--on", "next week"])  # fmt: skip
    assert bad_date.exit_code == 2 and "not a date" in bad_date.stderr
    with pytest.raises(UserInputError, match="owner"):
        drills.parse_improvement("Fix it | 2026-01-01")
    with open_store(db) as store:
        drill_id = drills.schedule(store, "north", "x", dt.date(2026, 1, 1))
        with pytest.raises(UserInputError, match="no log yet"):
            drills.finish(store, drill_id, [])
        with pytest.raises(UserInputError, match="no site"):
            drills.schedule(store, "mars", "x", dt.date(2026, 1, 1))


def _package_html(seed: int) -> str:
    data = shipped()
    view = SiteView.build(Site("north", "North Hospital"), department().assets)
    package = generate(data.scenarios["ransomware-weekend"], view, data, seed)
    return render_html("tabletop.html.j2", pkg=package)


def _cast(seed: int) -> tuple[tuple[str, str], ...]:
    data = shipped()
    view = SiteView.build(Site("north", "North Hospital"), department().assets)
    return generate(data.scenarios["ransomware-weekend"], view, data, seed).cast


def test_tabletop_is_byte_identical_for_a_seed_and_names_real_assets() -> None:
    first, again = _package_html(3), _package_html(3)
    assert first == again
    assert "North Hospital" in first and ("ED CT" in first or "Main MR" in first)
    assert "Main PACS" in first or "Enterprise VNA" in first
    assert "South CT" not in first
    assert "T+00:15" in first and "Evaluation criteria" in first
    assert "PACS administrator" in first  # questions per role
    casts = {_cast(seed) for seed in range(1, 11)}
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
        item = next(i for i in drills.items(store) if i.text == "Print downtime forms")
    assert runner.invoke(app, [*iw, "drill", "done", str(item.id)]).exit_code == 0
    rows = [r for r in plan_rows() if "Print downtime forms" in r["title"]]
    assert [r["status"] for r in rows] == ["closed"]
