"""The command line as a user drives it: init, import, assess, report, findings, demo."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.app import open_store
from tests.cli_runner import expect
from tests.cli_runner import invoke as run_cli
from tests.factories import asset, inventory

COLUMNS = [
    "id",
    "site",
    "name",
    "type",
    "vendor",
    "model",
    "os",
    "os_version",
    "network_zone",
    "criticality",
    "services",
    "phi_stored",
    "remote_access_mode",
    "remote_access_mfa",
]
HEADER = ",".join(COLUMNS) + "\n"
GOOD_ROWS = "".join(
    ",".join(row) + "\n"
    for row in (
        [
            "CT-1",
            "North Hospital",
            "CT 1",
            "CT",
            "GEHC",
            "Revolution CT",
            "Windows 7",
            "SP1",
            "clinical",
            "critical",
            "dicom:104",
            "yes",
            "always on",
            "no",
        ],
        [
            "MR-1",
            "North Hospital",
            "MR 1",
            "MR",
            "Siemens Healthineers",
            "MAGNETOM Skyra",
            "Windows 10",
            "22H2",
            "imaging",
            "high",
            "dicom:104/tls",
            "yes",
            "none",
            "",
        ],
    )
)


def invoke(db: Path, *args: str) -> tuple[int, str, str]:
    ran = run_cli(*args, db=db)
    return ran.code, ran.stdout, ran.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "iw.db"
    code, _, err = invoke(path, "init")
    assert code == 0, err
    return path


@pytest.fixture
def inventory_csv(tmp_path: Path) -> Path:
    path = tmp_path / "assets.csv"
    path.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    return path


def _counts(db: Path) -> dict[str, int]:

    with open_store(str(db)) as store:
        return store.counts()


def test_import_assess_report_round_trip(db: Path, inventory_csv: Path, tmp_path: Path) -> None:
    code, _, err = invoke(db, "import", "inventory", str(inventory_csv))
    assert code == 0, err
    assert "2 assets (2 new, 0 updated)" in err
    code, _, err = invoke(db, "assess")
    assert code == 0, err
    assert "assessed 2 managed assets:" in err

    code, out, _ = invoke(db, "findings", "list", "--format", "json")
    findings = json.loads(out)
    checks = {f["check_id"] for f in findings if f["asset_id"] == "CT-1"}
    assert "urn:imagewarden:check:os-end-of-life" in checks
    assert "urn:imagewarden:check:vendor-remote-access-always-on" in checks
    assert all(f["status"] == "open" for f in findings)

    for fmt in ("html", "json", "csv"):
        target = tmp_path / f"report.{fmt}"
        code, out, err = invoke(db, "report", "--format", fmt, "-o", str(target))
        assert code == 0, err
        assert out.strip() == str(target)
        assert target.stat().st_size > 0
    rows = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert len(rows) == len(findings)


def test_assessing_twice_gives_the_same_findings(db: Path, inventory_csv: Path) -> None:
    invoke(db, "import", "inventory", str(inventory_csv))
    invoke(db, "assess")
    first = json.loads(invoke(db, "findings", "list", "--format", "json")[1])
    code, _, err = invoke(db, "assess")
    assert code == 0 and "0 new" in err
    second = json.loads(invoke(db, "findings", "list", "--format", "json")[1])
    assert sorted(f["id"] for f in first) == sorted(f["id"] for f in second)
    assert len(first) == len(second) > 0


def test_a_listing_is_written_as_it_is_read_and_a_mistake_writes_nothing(
    db: Path, inventory_csv: Path
) -> None:
    invoke(db, "import", "inventory", str(inventory_csv))
    invoke(db, "assess")
    listed = json.loads(invoke(db, "findings", "list", "--format", "json")[1])
    code, out, err = invoke(db, "findings", "list")  # not a terminal: one line a finding
    assert code == 0, err
    header, *lines = out.splitlines()
    assert header.split("\t")[:2] == ["id", "risk"]
    assert [line.split("\t")[0] for line in lines] == [f["id"] for f in listed]
    assert f"{len(listed)} findings" in err
    # the unknown site or asset is found before anything is written
    for fmt in ("json", "table"):
        for option in (("--site", "nowhere"), ("--asset", "NO-SUCH")):
            code, out, err = invoke(db, "findings", "list", "--format", fmt, *option)
            assert (code, out) == (2, ""), err
            assert option[1] in err


def test_fixed_weakness_becomes_mitigated(db: Path, inventory_csv: Path, tmp_path: Path) -> None:
    invoke(db, "import", "inventory", str(inventory_csv))
    invoke(db, "assess")
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(inventory_csv.read_text().replace("always on,no", "none,yes"))
    invoke(db, "import", "inventory", str(fixed))
    code, _, err = invoke(db, "assess")
    assert code == 0 and "mitigated" in err
    listed = json.loads(
        invoke(
            db,
            "findings",
            "list",
            "--format",
            "json",
            "--check",
            "urn:imagewarden:check:vendor-remote-access-always-on",
        )[1]
    )
    assert [f["status"] for f in listed] == ["mitigated"]


def test_fail_on_sets_exit_code_1(db: Path, inventory_csv: Path) -> None:
    invoke(db, "import", "inventory", str(inventory_csv))
    assert invoke(db, "assess", "--fail-on", "high")[0] == 1
    assert invoke(db, "assess", "--fail-on", "CRITICAL")[0] in (0, 1)
    assert invoke(db, "assess")[0] == 0


def test_malformed_csv_exits_2_and_writes_nothing(
    db: Path, inventory_csv: Path, tmp_path: Path
) -> None:
    invoke(db, "import", "inventory", str(inventory_csv))
    before = _counts(db)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + GOOD_ROWS.replace("CT-1,", "CT-9,")
        + "XA-1,North Hospital,Cath lab,XA,Philips,Azurion,Windows 10,1809,imaging,high,"
        "dicom:104,maybe,none,\n",
        encoding="utf-8",
    )
    code, _, err = invoke(db, "import", "inventory", str(bad))
    assert code == 2
    assert f"{bad}:4:12" in err  # file:line:column of the bad phi_stored value
    assert "Traceback" not in err
    assert _counts(db) == before


def test_report_before_assessment_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    code, _, err = invoke(db, "report", "-o", str(tmp_path / "r.html"))
    assert code == 2 and "imagewarden assess" in err


def test_uninitialised_database_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path / "never.db", "assess")
    assert code == 2 and "imagewarden init" in err


def test_findings_triage(db: Path, inventory_csv: Path) -> None:
    invoke(db, "import", "inventory", str(inventory_csv))
    invoke(db, "assess")
    finding = json.loads(invoke(db, "findings", "list", "--format", "json", "--limit", "1")[1])[0]
    code, _, err = invoke(
        db,
        "findings",
        "accept",
        finding["id"],
        "--reason",
        "replacement ordered",
        "--until",
        "2099-01-31",
    )
    assert code == 0, err
    accepted = json.loads(
        invoke(db, "findings", "list", "--format", "json", "--status", "accepted")[1]
    )
    assert [f["id"] for f in accepted] == [finding["id"]]
    invoke(db, "assess")  # an acceptance survives re-assessment until its date
    accepted = json.loads(
        invoke(db, "findings", "list", "--format", "json", "--status", "accepted")[1]
    )
    assert [f["id"] for f in accepted] == [finding["id"]]
    assert (
        invoke(db, "findings", "accept", finding["id"], "--reason", "x", "--until", "2001-01-01")[0]
        == 2
    )
    assert invoke(db, "findings", "false-positive", "iwf-unknown", "--reason", "x")[0] == 2


def test_catalog_validate_passes(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path / "unused.db", "catalog", "validate")
    assert code == 0, err
    assert "catalog is valid" in err


@pytest.mark.slow
def test_console_script_demo_prints_the_report_path(tmp_path: Path) -> None:
    """The README's demo path, through the installed console script."""
    exe = Path(sys.executable).with_name("imagewarden")
    env = {**os.environ, "COLUMNS": "120"}
    result = subprocess.run(
        [str(exe), "demo", "--out", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = Path(result.stdout.strip())
    assert report == (tmp_path / "demo" / "report.html").resolve()
    html = report.read_text(encoding="utf-8")
    assert html.index("Executive summary") < html.index("<svg")
    assert (tmp_path / "demo" / "findings.json").exists()
    assert (tmp_path / "demo" / "findings.csv").exists()


def test_catalog_validate_checks_resilience_playbooks(tmp_path: Path) -> None:
    import shutil

    from imagewarden.catalog import default_catalog_dir

    root = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), root)
    roles = root / "resilience" / "roles.yaml"
    text = roles.read_text(encoding="utf-8")
    first_id = text.split("id:", 1)[1].split()[0]
    roles.write_text(text.replace(f"id: {first_id}", "id: renamed-role", 1), encoding="utf-8")
    result = run_cli("--catalog", str(root), "catalog", "validate")
    assert result.code == 2
    assert f"unknown role {first_id!r}" in result.stderr


def test_assess_counts_unmanaged_hosts_apart_as_the_report_does(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    expect(0, "init", db=db)
    found = asset("discovered-10-0-0-9", "north", managed=False, name="Discovered host 10.0.0.9")
    with open_store(str(db)) as store:
        store.save_inventory(inventory(asset("CT-1", "north"), asset("MR-1", "north"), found))
    told = expect(0, "assess", db=db).stderr
    assert "assessed 2 managed assets and 1 unmanaged host:" in told
    report = tmp_path / "r.json"
    expect(0, "report", "--format", "json", "-o", report, db=db)
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    assert (summary["assets"], summary["unmanaged_assets"]) == (2, 1)
