"""Benchmark: command-line start-up against the floor of importing typer and rich.

Times, in the same run, alternating, after one warm-up of each:

  floor: python -c "import typer, rich"
  ours:  imagewarden --help, imagewarden --version

Budget (DESIGN.md, issue 9): ours <= 3x the floor (median of --repeat runs).

    .venv/bin/python benchmarks/bench_cli.py [--repeat 21]

Writes benchmarks/results/bench_cli.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import load_average, machine

RESULTS = Path(__file__).parent / "results" / "bench_cli.json"
IMAGEWARDEN = str(Path(sys.executable).with_name("imagewarden"))
BUDGET = 3.0
COMMANDS = {
    "floor: import typer, rich": [sys.executable, "-c", "import typer, rich"],
    "imagewarden --help": [IMAGEWARDEN, "--help"],
    "imagewarden --version": [IMAGEWARDEN, "--version"],
}


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and write its results JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    start_load = load_average()
    for command in COMMANDS.values():
        _timed(command)  # warm-up: page cache and .pyc files
    runs: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():
            runs[name].append(_timed(command))
    medians = {name: round(statistics.median(times), 4) for name, times in runs.items()}
    floor_name = "floor: import typer, rich"
    floor = medians[floor_name]
    result = {
        "benchmark": "bench_cli",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(start_load),
        "repeat": args.repeat,
        "budget_ratio": BUDGET,
        "median_s": medians,
        "ratio_to_floor": {
            name: round(value / floor, 2) for name, value in medians.items() if name != floor_name
        },
        "within_budget": all(v <= BUDGET * floor for v in medians.values()),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
