from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from imagewarden.model import FindingStatus, Severity
from imagewarden.render.csv import safe_cell
from imagewarden.report import render_report
from imagewarden.report.csv_export import COLUMNS
from imagewarden.report.interface import ReportContext
from imagewarden.report.json_export import SCHEMA

from .conftest import FORMULA_NAME, MALICIOUS_NAME

FINDING_KEYS = {
    "id": str,
    "check_id": str,
    "title": str,
    "severity": str,
    "status": str,
    "risk": dict,
    "site": dict,
    "asset": (dict, type(None)),
    "subject": dict,
    "evidence": dict,
    "safeguards": list,
    "refs": list,
    "first_seen": (str, type(None)),
    "last_seen": (str, type(None)),
    "mitigated_at": (str, type(None)),
    "status_reason": str,
    "accepted_until": (str, type(None)),
    "details": dict,
}


def _json(context: ReportContext, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "findings.json"
    render_report(context, "json", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_json_document_shape(context: ReportContext, tmp_path: Path) -> None:
    data = _json(context, tmp_path)
    assert data["schema"] == SCHEMA == "imagewarden-findings/1"
    assert dt.datetime.fromisoformat(data["generated_at"]) == context.generated_at
    assert data["assessment"]["id"] == 7
    assert isinstance(data["summary"]["readiness"]["score"], int)
    assert 0 <= data["summary"]["readiness"]["score"] <= 100
    assert isinstance(data["summary"]["executive_summary"], list)
    assert len(data["findings"]) == len(context.findings)
    for record in data["findings"]:
        assert set(record) == set(FINDING_KEYS)
        for key, kind in FINDING_KEYS.items():
            assert isinstance(record[key], kind), key
        assert isinstance(record["risk"]["score"], int)
        for factor in record["risk"]["factors"]:
            assert set(factor) == {"name", "level", "weight", "points", "reason"}
        for safeguard in record["safeguards"]:
            assert safeguard["id"].startswith("urn:imagewarden:safeguard:")
            assert safeguard["title"]
            assert all({"framework", "id", "edition"} == set(r) for r in safeguard["refs"])
        Severity(record["severity"])
        FindingStatus(record["status"])


def test_json_counts_round_trip(context: ReportContext, tmp_path: Path) -> None:
    data = _json(context, tmp_path)
    summary = data["summary"]
    current = [f for f in data["findings"] if f["status"] in ("open", "accepted")]
    assert summary["findings_total"] == len(data["findings"])
    assert summary["findings_current"] == len(current)
    assert summary["findings_resolved"] == len(data["findings"]) - len(current)
    for severity, n in summary["by_severity"].items():
        assert n == sum(1 for f in current if f["severity"] == severity)
    for site in summary["by_site"]:
        assert site["total"] == sum(1 for f in current if f["site"]["id"] == site["site_id"])
    assert sum(summary["by_status"].values()) == len(data["findings"])


def test_json_evidence_and_dates_are_strict_json(context: ReportContext, tmp_path: Path) -> None:
    data = _json(context, tmp_path)
    record = next(f for f in data["findings"] if f["status"] == "accepted")
    assert record["accepted_until"] == "2026-03-31"
    assert record["evidence"]["os.end_of_support"] == "2020-01-14"
    assert record["evidence"]["os.past_end_of_support"] is True
    site_wide = next(f for f in data["findings"] if f["asset"] is None)
    assert site_wide["subject"]["kind"] == "site"
    names = {f["asset"]["name"] for f in data["findings"] if f["asset"]}
    assert MALICIOUS_NAME in names  # JSON carries data as is; escaping is the viewer's job


def _csv_rows(context: ReportContext, tmp_path: Path) -> list[list[str]]:
    out = tmp_path / "findings.csv"
    render_report(context, "csv", out)
    return list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))


def test_csv_header_and_one_row_per_finding(context: ReportContext, tmp_path: Path) -> None:
    rows = _csv_rows(context, tmp_path)
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1 + len(context.findings)
    assert all(len(r) == len(COLUMNS) for r in rows)
    ids = {r[COLUMNS.index("id")] for r in rows[1:]}
    assert ids == {f.id for f in context.findings}


def test_csv_flattens_evidence_and_safeguards(context: ReportContext, tmp_path: Path) -> None:
    rows = _csv_rows(context, tmp_path)
    by_id = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    finding = context.findings[0]
    row = by_id[finding.id]
    assert row["safeguards"] == ";".join(finding.safeguards)
    assert "os.end_of_support=2020-01-14" in row["evidence"]
    assert "; " in row["evidence"]
    assert row["risk_score"] == str(finding.risk.score)


def test_csv_neutralises_formulas(context: ReportContext, tmp_path: Path) -> None:
    rows = _csv_rows(context, tmp_path)
    names = [r[COLUMNS.index("asset_name")] for r in rows[1:]]
    assert "'" + FORMULA_NAME in names
    assert FORMULA_NAME not in names
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_neutralise() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("CT-1") == "CT-1"
    assert safe_cell("") == ""
    assert safe_cell(-1) == -1  # a number is not a formula
