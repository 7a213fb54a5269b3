"""Benchmark: GoPhish results import and culture metrics against plain CSV parsing.

Generates a GoPhish results CSV of N recipients (GoPhish's export columns), then times, on the
same file in the same run:

  peer:  csv.DictReader over the file, counting sent / clicked / reported (no validation,
         no pseudonymisation): the floor any Python importer pays to read the file;
  ours:  governance.culture.read_gophish_csv (validation of every cell, RFC 3339 timestamps,
         keyed hash of every address) + culture_metrics over the result.

Also times the OSCAL assessment-results export of the same number of synthetic findings.
Each measurement runs --repeat times after a warm-up; the median is reported.

    .venv/bin/python benchmarks/bench_governance.py [--rows 100000] [--repeat 3]

Writes benchmarks/results/bench_governance.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from imagewarden.catalog import load_catalog
from imagewarden.governance.culture import GOPHISH_EXPORT_HEADER, read_gophish_csv
from imagewarden.governance.metrics import culture_metrics
from imagewarden.governance.oscal import assessment_results
from imagewarden.model import Finding, RiskScore, Severity, SubjectKind, finding_fingerprint
from machine import load_average, machine

RESULTS = Path(__file__).parent / "results" / "bench_governance.json"
STATUSES = ("Email Sent", "Email Opened", "Clicked Link", "Submitted Data")


def _write(path: Path, rows: int) -> None:
    start = dt.datetime(2026, 4, 7, 9, 0, tzinfo=dt.UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GOPHISH_EXPORT_HEADER)
        for n in range(rows):
            sent = start + dt.timedelta(seconds=n)
            writer.writerow(
                [
                    f"r{n:07d}",
                    STATUSES[n % 4],
                    "192.0.2.1",
                    "0",
                    "0",
                    sent.strftime("%Y-%m-%dT%H:%M:%S.%f000Z"),
                    "true" if n % 3 == 0 else "false",
                    (sent + dt.timedelta(minutes=n % 90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    f"staff{n}@bench.invalid",
                    "",
                    "",
                    f"Dept {n % 12}",
                ]
            )


def _median(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peer(path: Path) -> tuple[int, int, int]:
    sent = clicked = reported = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sent += row["status"] != "Error"
            clicked += row["status"] in ("Clicked Link", "Submitted Data")
            reported += row["reported"] == "true"
    return sent, clicked, reported


def _findings(n: int) -> list[Finding]:
    catalog = load_catalog()
    checks = [c for c in catalog.checks.values() if c.producer == "rules"]
    return [
        Finding(
            finding_fingerprint(checks[i % len(checks)].id, SubjectKind.ASSET, f"A{i}"),
            checks[i % len(checks)].id,
            SubjectKind.ASSET,
            f"A{i}",
            "north",
            f"A{i}",
            checks[i % len(checks)].title,
            Severity.HIGH,
            RiskScore(60, ()),
            {"x": i},
            checks[i % len(checks)].safeguards,
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start_load = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "campaign - Results.csv"
        _write(path, args.rows)
        peer = _median(lambda: _peer(path), args.repeat)
        ours = _median(lambda: culture_metrics([], [read_gophish_csv(path)]), args.repeat)
    catalog = load_catalog()
    findings = _findings(args.findings)
    now = dt.datetime.now(dt.UTC)
    oscal = _median(
        lambda: json.dumps(
            assessment_results(findings, catalog, title="bench", started=now, now=now, version="1")
        ),
        args.repeat,
    )
    result = {
        "benchmark": "governance",
        "date": now.isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), **machine(start_load)},
        "gophish_rows": args.rows,
        "peer": "csv.DictReader count of the same GoPhish CSV (no validation, no hashing)",
        "peer_seconds": round(peer, 3),
        "ours_seconds": round(ours, 3),
        "ratio": round(ours / peer, 2),
        "oscal_findings": args.findings,
        "oscal_assessment_results_seconds": round(oscal, 3),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
