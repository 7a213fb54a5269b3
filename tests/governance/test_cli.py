"""The governance commands as a user drives them, end to end on a real database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.cli_runner import invoke as run_cli
from tests.factories import asset, inventory
from tests.governance.conftest import DATA

from imagewarden.app import open_store


def invoke(db: Path, *args: str) -> tuple[int, str, str]:
    ran = run_cli(*args, db=db)
    return ran.code, ran.stdout, ran.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "iw.db"
    with open_store(str(path), create=True) as store:
        store.save_inventory(inventory(asset("CT-1", "north"), asset("MR-1", "south")))
    return path


def _rows(db: Path, table: str) -> int:
    with open_store(str(db)) as store, store.engine.connect() as c:
        return int(c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def test_checklist_list_answer_export(db: Path, tmp_path: Path) -> None:
    code, out, _ = invoke(db, "checklist", "list")
    assert code == 0 and "pacs-informatics" in out and "ai-governance" in out
    code, out, _ = invoke(db, "checklist", "list", "--checklist", "executive")
    assert code == 0 and "exec-14" in out
    code, _, err = invoke(
        db,
        "checklist",
        "answer",
        "exec-06",
        "--answer",
        "no",
        "--site",
        "north",
        "--owner",
        "CISO office",
        "--due",
        "2027-01-31",
    )
    assert code == 0, err
    code, _, err = invoke(
        db,
        "checklist",
        "answer",
        "exec-06",
        "--answer",
        "yes",
        "--site",
        "north",
        "--owner",
        "CISO office",
    )
    assert code == 2 and "evidence" in err
    out_path = tmp_path / "answers.csv"
    code, _, _ = invoke(db, "checklist", "export", "--out", str(out_path))
    rows = list(csv.DictReader(out_path.open(encoding="utf-8")))
    assert code == 0 and [(r["question"], r["answer"], r["due"]) for r in rows] == [
        ("exec-06", "no", "2027-01-31")
    ]
    template = tmp_path / "sheet.csv"
    code, _, _ = invoke(
        db, "checklist", "export", "--template", "--checklist", "executive", "--out", str(template)
    )
    assert code == 0 and len(template.read_text(encoding="utf-8").splitlines()) == 1 + 2 * 14
    # An exported sheet imports back.
    code, _, err = invoke(db, "checklist", "import", str(out_path))
    assert code == 0 and "imported 1 answers" in err


def test_bad_import_exits_2_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "answers.csv"
    bad.write_text(
        "site,question,answer,owner,evidence,answered,due\n"
        "north,exec-01,yes,CISO,doc.pdf,2026-01-01,\n"
        "north,exec-02,perhaps,CISO,,2026-01-01,2026-05-01\n",
        encoding="utf-8",
    )
    code, _, err = invoke(db, "checklist", "import", str(bad))
    assert code == 2
    assert f"{bad}:3:3 (answer)" in err and "Traceback" not in err
    assert _rows(db, "gov_answers") == 0
    broken = tmp_path / "phish.csv"
    text = (DATA / "gophish-results.csv").read_text(encoding="utf-8")
    broken.write_text(text.replace("Email Opened", "Opened"), encoding="utf-8")
    code, _, err = invoke(db, "culture", "import", "gophish", str(broken))
    assert code == 2 and f"{broken}:3:2 (status)" in err
    assert _rows(db, "gov_campaigns") == 0 and _rows(db, "gov_campaign_results") == 0


def test_culture_crosswalk_maturity_poam_and_exports(db: Path, tmp_path: Path) -> None:
    assert invoke(db, "culture", "import", "training", str(DATA / "training.csv"))[0] == 0
    assert invoke(db, "culture", "import", "gophish", str(DATA / "gophish-results.csv"))[0] == 0
    code, _, err = invoke(
        db, "culture", "import", "gophish", str(DATA / "gophish-api-results.json")
    )
    assert code == 0 and "Spring imaging phish" in err
    metrics_csv = tmp_path / "culture.csv"
    code, out, _ = invoke(db, "culture", "report", "--csv", str(metrics_csv))
    assert code == 0 and out == f"{metrics_csv}\n"  # stdout holds what was written
    assert "Phishing" in invoke(db, "culture", "report")[1]
    assert "click_rate,All,2026-Q2" in metrics_csv.read_text(encoding="utf-8")

    invoke(
        db,
        "checklist",
        "answer",
        "pacs-05",
        "--answer",
        "no",
        "--site",
        "north",
        "--owner",
        "PACS manager",
        "--due",
        "2027-01-31",
    )
    assert invoke(db, "assess")[0] == 0
    crosswalk_csv = tmp_path / "crosswalk.csv"
    code, out, _ = invoke(db, "crosswalk", "--csv", str(crosswalk_csv))
    assert code == 0 and out == f"{crosswalk_csv}\n"
    assert "nist-csf-2.0" in invoke(db, "crosswalk")[1]
    assert "PR.DS-11" in crosswalk_csv.read_text(encoding="utf-8")
    code, out, _ = invoke(db, "crosswalk", "--framework", "hph-cpg")
    assert code == 0 and "essential-email-security" in out

    chart = tmp_path / "trend.svg"
    code, out, err = invoke(db, "maturity", "--record", "--chart", str(chart))
    assert code == 0 and out == f"{chart}\n" and "Partial" in err and "Tier 4 Adaptive" in err
    assert chart.read_text(encoding="utf-8").startswith("<svg")

    plan = tmp_path / "poam.csv"
    code, _, err = invoke(db, "poam", "--csv", str(plan), "--review")
    assert code == 0 and "quarterly review" in err
    assert any(r["owner"] == "PACS manager" for r in csv.DictReader(plan.open(encoding="utf-8")))

    code, _, _ = invoke(db, "export", "oscal", "--out", str(tmp_path / "oscal"))
    assert code == 0
    poam = json.loads((tmp_path / "oscal" / "poam.json").read_text(encoding="utf-8"))
    assert poam["plan-of-action-and-milestones"]["poam-items"]
    code, out, _ = invoke(db, "export", "defectdojo")
    assert code == 0 and json.loads(out)["findings"]


@pytest.mark.slow
def test_board_one_pager_fits_one_page(db: Path, tmp_path: Path) -> None:
    import pypdf

    invoke(
        db,
        "checklist",
        "answer",
        "pacs-05",
        "--answer",
        "no",
        "--site",
        "north",
        "--owner",
        "PACS manager",
        "--due",
        "2027-01-31",
    )
    invoke(db, "assess")
    invoke(db, "maturity", "--record")
    code, _, err = invoke(db, "board", "--out", str(tmp_path / "board"), "--enterprise", "Test")
    assert code == 0, err
    html = (tmp_path / "board" / "board.html").read_text(encoding="utf-8")
    assert "Top five risks" in html and "Three asks of the board" in html
    assert "/ 100" in html and "Average CSF tier" in html
    assert len(pypdf.PdfReader(tmp_path / "board" / "board.pdf").pages) == 1


def test_listings_as_json_and_documents_to_stdout(db: Path, tmp_path: Path) -> None:
    for args in (("--format", "json"), ("--json",)):
        code, out, _ = invoke(db, "checklist", "list", *args)
        assert code == 0 and "executive" in {c["checklist"] for c in json.loads(out)}
    code, out, _ = invoke(db, "checklist", "list", "--checklist", "executive", "--format", "json")
    assert code == 0 and json.loads(out)[0]["question"] == "exec-01"
    code, out, _ = invoke(db, "checklist", "export", "--template", "-o", "-")
    assert code == 0 and out.startswith("site,question,answer,owner")
    code, out, _ = invoke(db, "culture", "report", "--format", "json")
    assert code == 0 and json.loads(out) == []
    invoke(db, "culture", "import", "training", str(DATA / "training.csv"))
    code, out, _ = invoke(db, "culture", "report", "--csv", "-")
    assert code == 0 and out.startswith("metric,department,quarter,value")
    code, out, _ = invoke(db, "culture", "report", "--json")
    assert code == 0 and {v["metric"] for v in json.loads(out)} >= {"completion_rate"}
    code, out, _ = invoke(db, "poam", "--format", "json")
    items = json.loads(out)
    assert code == 0 and items and {"id", "status", "owner", "revision"} <= set(items[0])
    code, out, _ = invoke(db, "poam", "--csv", "-")
    assert code == 0 and out.startswith("id,status,severity,site,title,owner")
    code, out, _ = invoke(db, "crosswalk", "--csv", "-")
    assert code == 0 and out.startswith("framework,requirement,title,status")
    code, out, _ = invoke(db, "export", "defectdojo", "-o", "-")
    assert code == 0 and json.loads(out) == {"findings": []}


def test_commands_that_write_files_print_their_paths(db: Path, tmp_path: Path) -> None:
    written = {
        "answers.csv": ("checklist", "export", "--out"),
        "crosswalk.csv": ("crosswalk", "--csv"),
        "trend.svg": ("maturity", "--chart"),
        "culture.csv": ("culture", "report", "--csv"),
        "poam.csv": ("poam", "--csv"),
        "dojo.json": ("export", "defectdojo", "--out"),
    }
    for name, args in written.items():
        path = tmp_path / name
        code, out, err = invoke(db, *args, str(path))
        assert code == 0, err
        assert str(path) in out.splitlines(), (name, out)
        assert path.stat().st_mode & 0o077 == 0, name  # owner-only
    code, out, _ = invoke(db, "export", "oscal", "--out", str(tmp_path / "oscal"))
    assert code == 0 and out.splitlines() == [
        str(tmp_path / "oscal" / "assessment-results.json"),
        str(tmp_path / "oscal" / "poam.json"),
    ]


def test_poam_edit_is_kept_by_the_next_sync_and_audited(db: Path) -> None:
    assert invoke(db, "poam")[0] == 0
    code, out, _ = invoke(db, "poam", "--format", "json")
    first = json.loads(out)[0]
    code, _, err = invoke(
        db,
        "poam",
        "edit",
        first["id"][:10],
        "--owner",
        "Radiology IT",
        "--due",
        "2030-01-31",
        "--status",
        "risk_accepted",
        "--revision",
        str(first["revision"]),
    )
    assert code == 0, err
    assert f"{first['id']}: risk_accepted, owner Radiology IT, due 2030-01-31" in err
    code, out, _ = invoke(db, "poam", "--format", "json")
    after = next(i for i in json.loads(out) if i["id"] == first["id"])
    assert (after["owner"], after["due"], after["status"]) == (
        "Radiology IT",
        "2030-01-31",
        "risk_accepted",
    )
    assert after["edited_by_person"] == ["due", "owner", "status"]
    code, _, err = invoke(
        db, "poam", "edit", first["id"], "--owner", "X", "--revision", str(first["revision"])
    )
    assert code == 2 and "changed since it was read" in err
    code, _, err = invoke(db, "poam", "edit", first["id"], "--status", "overdue")
    assert code == 2 and "a person sets the status" in err
    code, out, _ = invoke(db, "audit", "list", "--action", "poam.edit", "--json")
    (entry,) = json.loads(out)
    assert entry["target"] == first["id"] and entry["after"]["owner"] == "Radiology IT"


def test_answers_and_imports_are_audited_once_each(db: Path) -> None:
    invoke(
        db,
        "checklist",
        "answer",
        "exec-06",
        "--answer",
        "no",
        "--site",
        "north",
        "--owner",
        "CISO office",
        "--due",
        "2027-01-31",
    )
    invoke(db, "culture", "import", "training", str(DATA / "training.csv"))
    invoke(db, "culture", "import", "gophish", str(DATA / "gophish-results.csv"))
    with open_store(str(db)) as store:
        entries = [e for e in store.audit_entries() if e.action != "inventory.import"]
    assert [(e.action, e.target) for e in entries] == [
        ("culture.import.gophish", "gophish-results.csv"),
        ("culture.import.training", "training.csv"),
        ("checklist.answer", "north:exec-06"),
    ]
    assert entries[-1].after is not None and entries[-1].after["answer"] == "no"
    assert entries[-1].before is None
