"""Benchmark: assess a generated enterprise and render the HTML readiness report, at scale.

For each size (default 1,000, 5,000, 20,000 and 50,000 assets) in fresh child processes, so
that each step's peak memory is its own:

  1. import (one child): the generated enterprise's inventory import;
  2. assess (another child, on the same database): ``app.assessment.assess``;
  3. report (a third child): ``app.reports.write_report`` as HTML;
  4. peer, the floor the machine sets for the same rows: plain ``sqlite3`` ``executemany`` of
     every finding row the assessment stored into an empty copy of the findings table, one
     ``GROUP BY site, severity, check`` over it, and writing a file of the report's size.

Goals (issue 16): 5,000 assets assess + report under 4 s; 50,000 under 30 s with peak
memory under 1 GiB; the report's memory nearly flat in the number of findings. The results
record the growth per asset between the smallest and largest size.

    .venv/bin/python benchmarks/bench_assess.py [--sizes 1000,5000,20000,50000] [--sites 20]

Writes benchmarks/results/bench_assess.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from machine import load_average, machine

RESULTS = Path(__file__).parent / "results" / "bench_assess.json"
SIZES = (1000, 5000, 20000, 50000)
GOAL_5K_S = 4.0
GOAL_50K_S = 30.0
GOAL_PEAK_MIB = 1024.0


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _import_child(assets: int, sites: int, folder: Path) -> dict[str, Any]:
    from imagewarden.app import open_workspace
    from imagewarden.demo.enterprise import generate_enterprise
    from imagewarden.inventory.api import import_inventory

    inventory = folder / "inventory.json"
    inventory.write_text(json.dumps(generate_enterprise(assets, sites, seed=7)))
    with open_workspace(str(folder / "bench.db"), create=True, actor="bench") as workspace:
        start = time.perf_counter()
        import_inventory(workspace, [inventory])
        imported = time.perf_counter()
    return {"import_s": round(imported - start, 3), "import_peak_rss_mib": _peak_mib()}


def _assess_child(folder: Path) -> dict[str, Any]:
    from imagewarden.app import open_workspace
    from imagewarden.app.assessment import assess

    with open_workspace(str(folder / "bench.db"), actor="bench") as workspace:
        start = time.perf_counter()
        summary = assess(workspace)
        done = time.perf_counter()
    return {
        "assess_s": round(done - start, 3),
        "open_findings": summary.open_findings,
        "assess_peak_rss_mib": _peak_mib(),
    }


def _report_child(folder: Path) -> dict[str, Any]:
    from imagewarden.app import open_workspace
    from imagewarden.app.reports import ReportFormat, write_report

    out = folder / "report.html"
    with open_workspace(str(folder / "bench.db"), actor="bench") as workspace:
        start = time.perf_counter()
        write_report(workspace, ReportFormat.HTML, out, title="benchmark")
        done = time.perf_counter()
    return {
        "report_html_s": round(done - start, 3),
        "report_bytes": out.stat().st_size,
        "report_peak_rss_mib": _peak_mib(),
    }


def _peer(folder: Path, report_bytes: int) -> dict[str, Any]:
    """The floor: the same finding rows through plain sqlite3, one GROUP BY, one file write."""
    source = sqlite3.connect(folder / "bench.db")
    (create,) = source.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'findings'"
    ).fetchone()
    rows = source.execute("SELECT * FROM findings").fetchall()
    source.close()
    marks = ", ".join("?" * len(rows[0])) if rows else ""
    start = time.perf_counter()
    floor = sqlite3.connect(folder / "peer.db")
    floor.execute(create)
    with floor:
        floor.executemany(f"INSERT INTO findings VALUES ({marks})", rows)
    groups = floor.execute(
        "SELECT site_id, severity, check_id, count(*) FROM findings "
        "GROUP BY site_id, severity, check_id"
    ).fetchall()
    floor.close()
    (folder / "peer.html").write_bytes(b"x" * report_bytes)
    return {
        "what": "sqlite3 executemany of the stored finding rows + GROUP BY + file write",
        "seconds": round(time.perf_counter() - start, 3),
        "rows": len(rows),
        "groups": len(groups),
    }


def _child(kind: str, folder: Path, assets: int, sites: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--folder", str(folder)]
    command += ["--sizes", str(assets), "--sites", str(sites)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _findings(folder: Path) -> int:
    with sqlite3.connect(folder / "bench.db") as connection:
        (count,) = connection.execute("SELECT count(*) FROM findings").fetchone()
    return int(count)


def measure(assets: int, sites: int) -> dict[str, Any]:
    """One size: assess and report children, then the peer, in a fresh folder."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        imported = _child("import", folder, assets, sites)
        assessed = _child("assess", folder, assets, sites)
        reported = _child("report", folder, assets, sites)
        total = assessed["assess_s"] + reported["report_html_s"]
        peer = _peer(folder, reported["report_bytes"])
        return {
            "assets": assets,
            "sites": sites,
            "findings": _findings(folder),
            **imported,
            **assessed,
            **reported,
            "assess_plus_report_s": round(total, 3),
            "peak_rss_mib": max(assessed["assess_peak_rss_mib"], reported["report_peak_rss_mib"]),
            "peer": peer,
            "ratio_to_peer": round(total / peer["seconds"], 2) if peer["seconds"] else None,
        }


def growth(sizes: list[dict[str, Any]]) -> dict[str, float]:
    """Per asset, between the smallest and the largest size."""
    small, large = sizes[0], sizes[-1]
    more = large["assets"] - small["assets"]
    if more <= 0:
        return {}

    def per_asset(key: str, scale: float = 1.0) -> float:
        return round((large[key] - small[key]) * scale / more, 4)

    return {
        "assess_ms_per_asset": per_asset("assess_s", 1000),
        "report_ms_per_asset": per_asset("report_html_s", 1000),
        "assess_kib_per_asset": per_asset("assess_peak_rss_mib", 1024),
        "report_kib_per_asset": per_asset("report_peak_rss_mib", 1024),
        "report_bytes_per_finding_of_memory": round(
            (large["report_peak_rss_mib"] - small["report_peak_rss_mib"])
            * 1024
            * 1024
            / max(1, large["findings"] - small["findings"]),
            1,
        ),
    }


def goals(by_size: dict[int, dict[str, Any]]) -> dict[str, bool | None]:
    """Each goal of issue 16, or None when its size was not measured."""
    five, fifty = by_size.get(5000), by_size.get(50000)
    return {
        "5k_assess_plus_report_under_4s": None
        if five is None
        else five["assess_plus_report_s"] < GOAL_5K_S,
        "50k_assess_plus_report_under_30s": None
        if fifty is None
        else fifty["assess_plus_report_s"] < GOAL_50K_S,
        "50k_peak_under_1gib": None if fifty is None else fifty["peak_rss_mib"] < GOAL_PEAK_MIB,
    }


def main() -> None:
    """Run every size and write the results JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--child", choices=("import", "assess", "report"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child == "import":
        print(json.dumps(_import_child(sizes[0], args.sites, args.folder)))
        return
    if args.child == "assess":
        print(json.dumps(_assess_child(args.folder)))
        return
    if args.child == "report":
        print(json.dumps(_report_child(args.folder)))
        return
    start_load = load_average()
    measured = []
    for assets in sizes:
        row = measure(assets, args.sites)
        print(json.dumps(row), file=sys.stderr)
        measured.append(row)
    result = {
        "benchmark": "bench_assess: assess + HTML report on a generated enterprise",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(start_load),
        "goals": {
            "assess_plus_report_s_at_5000": GOAL_5K_S,
            "assess_plus_report_s_at_50000": GOAL_50K_S,
            "peak_rss_mib_at_50000": GOAL_PEAK_MIB,
        },
        "peer_note": "peer: the same finding rows through plain sqlite3 executemany, one "
        "GROUP BY site, severity, check and writing a file of the report's size (a floor, "
        "not a competing product)",
        "sizes": measured,
        "growth": growth(measured),
        "within_goals": goals({row["assets"]: row for row in measured}),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
