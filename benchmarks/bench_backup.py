"""Benchmark: `imagewarden backup verify` against parallel sha256sum on the same files.

Generates N DICOM files (every 5th padded to 0.5 MB, the rest 10-40 KB; pydicom's bundled
test files with fresh UIDs), then times, on the same files in the same run:

  peer:  find -L DIR -type f -print0 | xargs -0 -P NCPU -n 500 sha256sum > /dev/null
  ours:  imagewarden backup verify DIR --follow-links --jobs NCPU --manifest-out M

Each command runs --repeat times, alternating, after one warm-up of each; the median is
reported. This is done twice: on all files (which may not fit the page cache, so both are
bound by the disk) and on the first --cached-files of them (which stay cached, so both are
bound by CPU, like the issue's reference figure: 5,000 files, 606 MB, 0.73 s for
sha256sum on two processes). Budget (DESIGN.md): ours <= 1.5x the peer.

    .venv/bin/python benchmarks/bench_backup.py [--files 20000] [--cached-files 5000] [--repeat 3]

Writes benchmarks/results/bench_backup.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "bench_backup.json"
IMAGEWARDEN = Path(sys.executable).with_name("imagewarden")
BUDGET = 1.5


def _timed(command: str | list[str], *, shell: bool = False) -> float:
    start = time.perf_counter()
    subprocess.run(command, shell=shell, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def _compare(folder: Path, manifest: Path, cpus: int, repeat: int) -> dict[str, object]:
    """Time the peer and ours on ``folder``, alternating, after one warm-up of each."""
    # -L and --follow-links: the cached subset is a folder of links to the generated folders,
    # outside its own tree (which verify reports, unread, without the option)
    peer = f"find -L {folder} -type f -print0 | xargs -0 -P {cpus} -n 500 sha256sum > /dev/null"
    ours = [
        str(IMAGEWARDEN), "backup", "verify", str(folder), "--follow-links",
        "--jobs", str(cpus), "--manifest-out", str(manifest),
    ]  # fmt: skip
    # the same verification without the CLI: the whole command line imports every command
    # group (database, reports, feeds, ...) before it runs, a fixed cost per invocation
    engine = [
        sys.executable, "-c",
        "import sys; from pathlib import Path;"
        "from imagewarden.resilience.backup.verify import verify;"
        "verify(Path(sys.argv[1]), jobs=int(sys.argv[2]), manifest_out=Path(sys.argv[3]),"
        " follow_links=True)",
        str(folder), str(cpus), str(manifest),
    ]  # fmt: skip
    _timed(peer, shell=True)
    _timed(ours)
    peer_s: list[float] = []
    ours_s: list[float] = []
    engine_s: list[float] = []
    for _ in range(repeat):
        peer_s.append(_timed(peer, shell=True))
        ours_s.append(_timed(ours))
        engine_s.append(_timed(engine))
    with manifest.open() as stream:
        records = sum(1 for _ in stream) - 1
    with manifest.open() as stream:
        problems = sum(1 for line in stream if '"status":"problem"' in line)
    peer_median = statistics.median(peer_s)
    ours_median = statistics.median(ours_s)
    return {
        "files": records,
        "peer": {"command": peer.replace(str(folder), "DIR"), "runs_s": peer_s,
                 "median_s": round(peer_median, 3)},
        "imagewarden": {"command": "imagewarden backup verify DIR --jobs NCPU --manifest-out M",
                        "runs_s": ours_s, "median_s": round(ours_median, 3),
                        "manifest_records": records, "problem_files": problems},
        "engine_without_cli": {"command": "python -c 'verify(DIR, jobs=NCPU, manifest_out=M)'",
                               "runs_s": engine_s,
                               "median_s": round(statistics.median(engine_s), 3)},
        "ratio_to_peer": round(ours_median / peer_median, 3),
        "engine_ratio_to_peer": round(statistics.median(engine_s) / peer_median, 3),
        "within_budget": ours_median <= BUDGET * peer_median,
    }  # fmt: skip


def _page_cache_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Cached:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--cached-files", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    args = parser.parse_args()

    from imagewarden.resilience.backup.sample import write_bulk_archive

    cpus = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    try:
        archive = work / "archive"
        t = time.perf_counter()
        total = write_bulk_archive(archive, files=args.files, seed=1)
        generate_s = time.perf_counter() - t
        full = _compare(archive, work / "manifest.jsonl", cpus, args.repeat)
        subset = work / "cached-subset"
        subset.mkdir()
        for folder in sorted(archive.iterdir())[: max(1, args.cached_files // 1000)]:
            (subset / folder.name).symlink_to(folder)
        cached = _compare(subset, work / "manifest-cached.jsonl", cpus, args.repeat)
        result = {
            "benchmark": "bench_backup",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": cpus,
                "python": platform.python_version(),
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "page_cache_bytes_at_end": _page_cache_bytes(),
            },
            "files": args.files,
            "bytes": total,
            "generate_s": round(generate_s, 2),
            "budget_ratio": BUDGET,
            "cli_startup_s": round(
                statistics.median(_timed([str(IMAGEWARDEN), "--help"]) for _ in range(3)), 3
            ),
            "all_files": full,
            "cached_subset": cached,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
