"""Benchmark: assess a generated 5,000-asset enterprise and render the HTML report.

Budget (DESIGN.md): assess + HTML report under 10 s and 1 GiB for 5,000 assets.
Each phase runs in this process; peak memory is the process's maximum resident set size,
measured in a fresh child process so earlier work does not count.

    .venv/bin/python benchmarks/bench_assess.py [--assets 5000] [--sites 20]

Writes benchmarks/results/bench_assess.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "bench_assess.json"


def _child(assets: int, sites: int, folder: Path) -> dict[str, object]:
    from imagewarden.catalog import load_catalog
    from imagewarden.demo.enterprise import generate_enterprise
    from imagewarden.engine import run_assessment
    from imagewarden.inventory import ImportContext, read_inventory
    from imagewarden.report import render_report
    from imagewarden.report.gather import gather_context
    from imagewarden.store import Store

    inventory_path = folder / "inventory.json"
    inventory_path.write_text(json.dumps(generate_enterprise(assets, sites, seed=7)))
    catalog = load_catalog()
    timings: dict[str, float] = {}

    start = time.perf_counter()
    with Store.open(str(folder / "bench.db"), create=True) as store:
        context = ImportContext(catalog, observed_at=dt.datetime.now(dt.UTC))
        store.save_inventory(read_inventory(inventory_path, context))
        timings["import_s"] = time.perf_counter() - start

        t = time.perf_counter()
        result = run_assessment(store, catalog)
        timings["assess_s"] = time.perf_counter() - t

        t = time.perf_counter()
        report_context = gather_context(store, catalog, title="benchmark")
        render_report(report_context, "html", folder / "report.html")
        timings["report_html_s"] = time.perf_counter() - t
    timings["assess_plus_report_s"] = timings["assess_s"] + timings["report_html_s"]
    timings["total_s"] = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "assets": len(report_context.assets),
        "sites": len(report_context.sites),
        "findings": len(result.findings),
        "report_bytes": (folder / "report.html").stat().st_size,
        **{k: round(v, 3) for k, v in timings.items()},
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=5000)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.assets, args.sites, args.child)))
        return
    with tempfile.TemporaryDirectory() as folder:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--assets",
                str(args.assets),
                "--sites",
                str(args.sites),
                "--child",
                folder,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    measured = json.loads(output)
    result = {
        "benchmark": "assess + HTML report on a generated enterprise",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        },
        "budget": {"assess_plus_report_s": 10.0, "peak_rss_mib": 1024},
        "peer": None,
        "peer_note": "DESIGN.md names no peer for this budget; the budget itself is the bar.",
        "measured": measured,
        "within_budget": measured["assess_plus_report_s"] < 10.0
        and measured["peak_rss_mib"] < 1024,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
