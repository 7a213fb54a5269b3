"""The vulnerability commands as a user drives them: feeds, vulns list, SBOM/MDS2 import,
VEX export, and the offline failure of ``feeds update``."""

from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.demo.enterprise import write_demo_inventory
from tests.cli_runner import invoke
from tests.factories import asset, inventory


def _cli(db: Path, *args: str) -> tuple[int, str, str]:
    ran = invoke(*args, db=db)
    return ran.code, ran.stdout, ran.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo inventory with the shared feeds imported and assessed (built once)."""
    folder = tmp_path_factory.mktemp("cli")
    db = folder / "iw.db"
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    assert _cli(db, "init")[0] == 0
    inventory = write_demo_inventory(folder / "inventory.json")
    assert _cli(db, "import", "inventory", str(inventory))[0] == 0
    code, _, err = _cli(db, "feeds", "import", str(shared))
    assert code == 0, err
    assert "known_exploited_vulnerabilities.json: kev, 1404 records" in err
    assert _cli(db, "assess")[0] in (0, 1)
    return db


def _listed(db: Path, *filters: str) -> list[dict[str, object]]:
    code, out, err = _cli(db, "vulns", "list", "--format", "json", *filters)
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_vulns_list_filters(demo_db: Path) -> None:
    every = _listed(demo_db)
    kev = _listed(demo_db, "--kev")
    assert kev and all(r["kev"] is True for r in kev)
    assert {r["cve"] for r in kev} <= {"CVE-2017-0144", "CVE-2023-43208"}
    assert len(kev) < len(every)
    act = _listed(demo_db, "--priority", "act")
    assert act and all(r["priority"] == "act" for r in act)
    high_epss = _listed(demo_db, "--epss-above", "0.5")
    assert high_epss and all(float(str(r["epss"])) > 0.5 for r in high_epss)
    # Most urgent first.
    order = {"act": 0, "attend": 1, "track": 2}
    ranks = [order[str(r["priority"])] for r in every]
    assert ranks == sorted(ranks)


def test_export_vex_openvex_and_cyclonedx(demo_db: Path, tmp_path: Path) -> None:
    rows = _listed(demo_db, "--kev")
    target = str(rows[0]["id"])
    code, _, err = _cli(demo_db, "findings", "false-positive", target, "--reason", "SMBv1 off")
    assert code == 0, err
    openvex = tmp_path / "vex.json"
    code, _, err = _cli(
        demo_db, "findings", "export-vex", "--format", "openvex", "-o", str(openvex)
    )
    assert code == 0, err
    doc = json.loads(openvex.read_text())
    assert doc["@context"] == "https://openvex.dev/ns/v0.2.0"
    assert doc["author"] == "ImageWarden" and doc["version"] == 1
    statements = doc["statements"]
    assert len(statements) == len(_listed(demo_db))
    product = f"urn:imagewarden:asset:{rows[0]['asset_id']}"
    mine = [
        s
        for s in statements
        if s["vulnerability"]["name"] == rows[0]["cve"] and s["products"][0]["@id"] == product
    ]
    assert mine == [
        {
            "vulnerability": {"name": rows[0]["cve"]},
            "products": [{"@id": product}],
            "status": "not_affected",
            "justification": "component_not_present",
            "impact_statement": "SMBv1 off",
            "status_notes": (
                "confirmed match; NVD CPE microsoft:server_message_block 1.0 on "
                "microsoft:windows_7 any version; compared with asset SMBv1 (smb) 1.0"
            ),
        }
    ]
    assert {s["status"] for s in statements} <= {
        "not_affected",
        "affected",
        "fixed",
        "under_investigation",
    }
    cdx = tmp_path / "vex.cdx.json"
    code, _, err = _cli(demo_db, "findings", "export-vex", "--format", "cyclonedx", "-o", str(cdx))
    assert code == 0, err
    bom = json.loads(cdx.read_text())
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.5")
    refs = {c["bom-ref"] for c in bom["components"]}
    assert all(v["affects"][0]["ref"] in refs for v in bom["vulnerabilities"])
    fp = [v for v in bom["vulnerabilities"] if v["bom-ref"] == target]
    assert fp[0]["analysis"] == {"state": "false_positive", "detail": "SMBv1 off"}
    assert fp[0]["ratings"][0]["score"] == rows[0]["cvss"]


def test_import_sbom_and_mds2_need_a_known_asset(demo_db: Path, tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "components": []}))
    code, _, err = _cli(demo_db, "import", "sbom", str(bom), "--asset", "NO-SUCH")
    assert code == 2 and "no asset with id 'NO-SUCH'" in err
    code, _, err = _cli(demo_db, "import", "sbom", str(bom), "--asset", "NIC-PACS-01")
    assert code == 0, err
    assert "0 components attached to NIC-PACS-01" in err


def test_feeds_import_of_a_bad_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    assert _cli(db, "init")[0] == 0
    bad = tmp_path / "epss.csv"
    bad.write_text("cve,epss,percentile\nCVE-2017-0144,0.9\n")
    code, out, err = _cli(db, "feeds", "import", str(bad))
    assert code == 2
    assert f"{bad}:2" in err and "Traceback" not in err + out
    code, out, _ = _cli(db, "feeds", "status", "--format", "json")
    assert json.loads(out)["epss"] == 0


def test_feeds_update_offline_fails_clearly(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    assert _cli(db, "init")[0] == 0
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out, err = _cli(
        db,
        "feeds",
        "update",
        "--dest",
        str(tmp_path / "feeds"),
        "--timeout",
        "2",
        "--kev-url",
        f"http://127.0.0.1:{port}/kev.json",
    )
    assert code == 2
    assert f"cannot download CISA KEV from 127.0.0.1:{port}" in err
    assert "feeds import" in err and "Traceback" not in err + out
    assert not any((tmp_path / "feeds").iterdir())


def test_listing_formats_json_alias_csv_and_status(demo_db: Path) -> None:
    code, as_format, _ = _cli(demo_db, "vulns", "list", "--kev", "--format", "json")
    code2, as_alias, _ = _cli(demo_db, "vulns", "list", "--kev", "--json")
    assert code == code2 == 0 and json.loads(as_format) == json.loads(as_alias)
    code, text, _ = _cli(demo_db, "vulns", "list", "--kev", "--format", "csv")
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("id,priority,cve,kev,ransomware,kev_due,epss,cvss")
    assert len(lines) == 1 + len(json.loads(as_format))
    code, table, _ = _cli(demo_db, "feeds", "status")
    assert code == 0 and "cves" in table and "latest import of each feed" in table
    code, status, _ = _cli(demo_db, "feeds", "status", "--json")
    data = json.loads(status)
    assert data["kev"] == 1404 and {r["kind"] for r in data["latest"]} >= {"kev", "nvd"}


def test_export_vex_prints_the_written_path_on_stdout(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.vex.json"
    code, out, err = _cli(demo_db, "findings", "export-vex", "-o", str(target))
    assert code == 0, err
    assert out == f"{target}\n" and target.is_file()


def test_vulns_csv_neutralises_formula_cells(tmp_path: Path, shared: Path) -> None:
    db = tmp_path / "iw.db"
    assert _cli(db, "init")[0] == 0
    mirth = asset(
        "=HYPERLINK(1)",
        site="+cmd",
        vendor="NextGen Healthcare",
        model="Mirth Connect",
        software_version="4.3.0",
        os="",
        os_version="",
        services=(),
    )
    with open_store(str(db)) as store:
        store.save_inventory(inventory(mirth))
    assert _cli(db, "feeds", "import", str(shared / "nvd" / "CVE-2023-43208.json"))[0] == 0
    assert _cli(db, "assess")[0] in (0, 1)
    code, text, err = _cli(db, "vulns", "list", "--format", "csv")
    assert code == 0, err
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["asset_id"], row["site_id"]) == ("'=HYPERLINK(1)", "'+cmd")


def test_match_details_wherever_a_cve_finding_appears(demo_db: Path, tmp_path: Path) -> None:
    """Vue PACS 12.2.8 against NVD's philips:vue_pacs < 12.2.8.410 (CVE-2023-40159): the
    configuration, the model and version compared, the fixed version and the confidence show
    in the findings list, vulns list, the report's JSON, CSV and HTML, and VEX."""
    cve, asset_id = "CVE-2023-40159", "LCH-PACS-01"
    matched = "NVD CPE philips:vue_pacs < 12.2.8.410"
    code, out, err = _cli(demo_db, "findings", "list", "--format", "json", "--asset", asset_id)
    assert code == 0, err
    listed = next(r for r in json.loads(out) if r["details"].get("cve") == cve)
    details = listed["details"]
    assert details["matched"] == matched and details["confidence"] == "confirmed"
    assert (details["compared_model"], details["compared_version"]) == ("Vue PACS", "12.2.8")
    assert details["fixed_version"] == "12.2.8.410"
    # The reason names the model and the version as what they are.
    assert "asset model Vue PACS, version 12.2.8" in details["match_reason"]

    report_json = tmp_path / "findings.json"
    assert _cli(demo_db, "report", "--format", "json", "-o", str(report_json))[0] == 0
    record = next(
        f for f in json.loads(report_json.read_text())["findings"] if f["id"] == listed["id"]
    )
    assert record["details"]["matched"] == matched
    assert record["details"]["fixed_version"] == "12.2.8.410"

    report_csv = tmp_path / "findings.csv"
    assert _cli(demo_db, "report", "--format", "csv", "-o", str(report_csv))[0] == 0
    with report_csv.open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == listed["id"])
    assert f"matched={matched}" in row["details"] and "compared_model=Vue PACS" in row["details"]

    report_html = tmp_path / "report.html"
    assert _cli(demo_db, "report", "--format", "html", "-o", str(report_html))[0] == 0
    html = report_html.read_text()
    assert "compared with Vue PACS 12.2.8; fixed in 12.2.8.410" in html

    code, out, err = _cli(demo_db, "vulns", "list", "--format", "csv", "--cve", cve)
    assert code == 0, err
    vuln_row = next(csv.DictReader(io.StringIO(out)))
    assert vuln_row["matched"] == matched and vuln_row["compared_version"] == "12.2.8"
    assert "asset model Vue PACS, version 12.2.8" in vuln_row["match_reason"]

    openvex = tmp_path / "vex.json"
    code, _, err = _cli(
        demo_db, "findings", "export-vex", "--format", "openvex", "-o", str(openvex)
    )
    assert code == 0, err
    product = f"urn:imagewarden:asset:{asset_id}"
    statement = next(
        s
        for s in json.loads(openvex.read_text())["statements"]
        if s["vulnerability"]["name"] == cve and s["products"][0]["@id"] == product
    )
    assert statement["status_notes"] == (
        f"confirmed match; {matched}; compared with asset Vue PACS 12.2.8; fixed in 12.2.8.410"
    )
