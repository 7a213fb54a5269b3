"""Benchmark: `imagewarden backup verify` against the openssl floor, cat and sha256sum.

Generates N DICOM files (every 5th padded to 0.5 MB, the rest 10-40 KB; pydicom's bundled
test files with fresh UIDs), then times, on the same files in the same run:

  floor:      find -L DIR -type f -print0 | xargs -0 -P NCPU -n 500 openssl dgst -sha256
  read only:  find -L DIR -type f -print0 | xargs -0 cat > /dev/null
  reference:  find -L DIR -type f -print0 | xargs -0 -P NCPU -n 500 sha256sum
              (coreutils does not use the CPU's SHA instructions: not the floor)
  ours:       imagewarden backup verify DIR --follow-links --jobs NCPU --manifest-out M
              (--follow-links: the cached subset is a folder of links to the generated ones)
              (the whole command, start-up included: hash + every header)
  engine:     the same verification called from Python, without the command line

Two cases (issue 16 item 2):

  cached_subset   the first --cached-files files, read once before timing so they stay in
                  the page cache (CPU bound). Goal: ours <= 2.5x the openssl floor.
  cold_all_files  all --files files, the page cache dropped (``echo 3 >
                  /proc/sys/vm/drop_caches``, root only) before every timed command (disk
                  bound). Goal: ours <= 1.2x the floor. Skipped, with the reason recorded,
                  when the cache cannot be dropped.

Each command runs --repeat times, alternating; the median is reported. The machine's load
average is recorded at the start and the end (the figures mean little on a busy machine).

    .venv/bin/python benchmarks/bench_backup.py [--files 20000] [--cached-files 5000] [--repeat 3]

Writes benchmarks/results/bench_backup.json (read by benchmarks/performance_table.py).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from machine import load_average, machine

RESULTS = Path(__file__).parent / "results" / "bench_backup.json"
IMAGEWARDEN = Path(sys.executable).with_name("imagewarden")
GOAL_CACHED = 2.5
GOAL_COLD = 1.2
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def _timed(
    command: str | list[str], *, shell: bool = False, ok_codes: tuple[int, ...] = (0,)
) -> float:
    start = time.perf_counter()
    ran = subprocess.run(command, shell=shell, check=False, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip
    if ran.returncode not in ok_codes:
        raise subprocess.CalledProcessError(ran.returncode, command)
    return time.perf_counter() - start


def _peers(cpus: int) -> dict[str, str]:
    """The peers' shell commands, DIR standing for the folder."""
    # -L: the cached subset is a folder of links to the generated folders
    files = "find -L DIR -type f -print0 | xargs -0"
    return {
        "openssl": f"{files} -P {cpus} -n 500 openssl dgst -sha256 > /dev/null",
        "cat": f"{files} cat > /dev/null",
        "sha256sum": f"{files} -P {cpus} -n 500 sha256sum > /dev/null",
    }


PEER_WHAT = {
    "openssl": "floor: xargs -P NCPU openssl dgst -sha256",
    "cat": "read only: xargs cat",
    "sha256sum": "reference: xargs -P NCPU sha256sum",
}


def drop_caches() -> None:
    """Write back dirty pages, then drop the page cache (root only)."""
    os.sync()
    DROP_CACHES.write_text("3\n")


def can_drop_caches() -> str | None:
    """None when the page cache can be dropped here, else the reason it cannot."""
    try:
        drop_caches()
    except OSError as exc:
        return f"cannot write {DROP_CACHES}: {exc.strerror} (needs root, outside a container)"
    return None


def _compare(
    folder: Path, manifest: Path, cpus: int, repeat: int, goal: float,
    before_each: Callable[[], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Time the peers and ours on ``folder``, alternating; ``before_each`` runs before every
    timed command (untimed), e.g. dropping the page cache."""
    commands: dict[str, tuple[str | list[str], bool]] = {
        name: (cmd.replace("DIR", str(folder)), True) for name, cmd in _peers(cpus).items()
    }
    commands["imagewarden"] = ([
        str(IMAGEWARDEN), "backup", "verify", str(folder), "--follow-links",
        "--jobs", str(cpus), "--manifest-out", str(manifest),
    ], False)  # fmt: skip
    # the same verification without the command line's start-up
    commands["engine"] = ([
        sys.executable, "-c",
        "import sys; from pathlib import Path;"
        "from imagewarden.resilience.backup.verify import verify;"
        "verify(Path(sys.argv[1]), jobs=int(sys.argv[2]), manifest_out=Path(sys.argv[3]),"
        " follow_links=True)",
        str(folder), str(cpus), str(manifest),
    ], False)  # fmt: skip
    if before_each is None:  # warm-up: the page cache, .pyc files
        for command, shell in commands.values():
            _timed(command, shell=shell)
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (command, shell) in commands.items():
            if before_each is not None:
                before_each()
            runs[name].append(round(_timed(command, shell=shell), 4))
    medians = {name: round(statistics.median(times), 3) for name, times in runs.items()}
    with manifest.open() as stream:
        lines = stream.read().splitlines()
    records = len(lines) - 1
    problems = sum(1 for line in lines if '"status":"problem"' in line)
    floor = medians["openssl"]
    peers = _peers(cpus)
    return {
        "files": records,
        "peers": {
            name: {"what": PEER_WHAT[name], "command": peers[name],
                   "runs_s": runs[name], "median_s": medians[name]}
            for name in peers
        },
        "imagewarden": {"command": "imagewarden backup verify DIR --jobs NCPU --manifest-out M",
                        "runs_s": runs["imagewarden"], "median_s": medians["imagewarden"],
                        "manifest_records": records, "problem_files": problems},
        "engine_without_cli": {"command": "python -c 'verify(DIR, jobs=NCPU, manifest_out=M)'",
                               "runs_s": runs["engine"], "median_s": medians["engine"]},
        "goal_ratio_to_floor": goal,
        "ratio_to_floor": round(medians["imagewarden"] / floor, 3),
        "engine_ratio_to_floor": round(medians["engine"] / floor, 3),
        "ratio_to_cat": round(medians["imagewarden"] / medians["cat"], 3),
        "ratio_to_sha256sum": round(medians["imagewarden"] / medians["sha256sum"], 3),
        "within_goal": medians["imagewarden"] <= goal * floor,
    }  # fmt: skip


def _verify_startup(work: Path) -> dict[str, Any]:
    """The whole command on a folder of one small file: what every run pays before and
    after its files (interpreter, imports, checking processes started and ended)."""
    one = work / "one-file"
    one.mkdir()
    (one / "note.txt").write_text("one file\n")
    command = [str(IMAGEWARDEN), "backup", "verify", str(one), "--jobs", "2"]
    runs = [round(_timed(command, ok_codes=(0, 1)), 4) for _ in range(5)]
    return {"command": "imagewarden backup verify ONE-FILE-DIR --jobs 2", "runs_s": runs,
            "median_s": round(statistics.median(runs), 3)}  # fmt: skip


def _header_walk(folder: Path) -> dict[str, Any]:
    """CPU time of the DICOM header walk alone over the cached files' first 64 KiB (read
    beforehand, untimed), in the walk the command uses ("c", or "python" where the extension
    is not built): the part of the check no peer does."""
    from imagewarden.resilience.backup.header import NATIVE, HeaderError, NeedMore, read_header
    from imagewarden.resilience.backup.scan import FIRST_READ

    heads = []
    for parent, _dirs, names in os.walk(folder, followlinks=True):  # the subset is links
        for name in names:
            with (Path(parent) / name).open("rb") as stream:
                heads.append(stream.read(FIRST_READ))
    start = time.process_time()
    for head in heads:
        with contextlib.suppress(HeaderError, NeedMore):
            read_header(head, whole=len(head) < FIRST_READ)
    cpu = time.process_time() - start
    return {"walk": "c" if NATIVE else "python", "files": len(heads), "cpu_s": round(cpu, 3),
            "per_file_us": round(cpu / max(1, len(heads)) * 1e6, 1)}  # fmt: skip


def _page_cache_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Cached:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    """Run the benchmark and write its results JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--cached-files", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cold", action="store_true", help="Skip the cold-cache case.")
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    args = parser.parse_args()
    start_load = load_average()

    import compileall

    import imagewarden
    from imagewarden.resilience.backup.sample import write_bulk_archive

    # the command is timed as installed, with its modules compiled (pip compiles them; an
    # environment with PYTHONDONTWRITEBYTECODE set would otherwise compile them every run)
    compileall.compile_dir(Path(imagewarden.__file__).parent, quiet=1)

    cpus = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    try:
        archive = work / "archive"
        t = time.perf_counter()
        total = write_bulk_archive(archive, files=args.files, seed=1)
        generate_s = time.perf_counter() - t
        subset = work / "cached-subset"
        subset.mkdir()
        for folder in sorted(archive.iterdir())[: max(1, args.cached_files // 1000)]:
            (subset / folder.name).symlink_to(folder)
        cached = _compare(subset, work / "manifest-cached.jsonl", cpus, args.repeat, GOAL_CACHED)
        cold: dict[str, Any]
        reason = "--no-cold given" if args.no_cold else can_drop_caches()
        if reason is None:
            cold = _compare(
                archive, work / "manifest.jsonl", cpus, args.repeat, GOAL_COLD, drop_caches
            )
            cold["page_cache"] = "dropped (echo 3 > /proc/sys/vm/drop_caches) before each run"
        else:
            cold = {"skipped": reason, "files": args.files}
        result = {
            "benchmark": "bench_backup",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {**machine(start_load), "page_cache_bytes_at_end": _page_cache_bytes()},
            "files": args.files,
            "cached_files": args.cached_files,
            "repeat": args.repeat,
            "bytes": total,
            "generate_s": round(generate_s, 2),
            "cli_startup_s": round(
                statistics.median(_timed([str(IMAGEWARDEN), "--help"]) for _ in range(3)), 3
            ),
            "verify_startup_s": _verify_startup(work),
            "header_walk": _header_walk(subset),
            "cached_subset": cached,
            "cold_all_files": cold,
        }
        result["machine"]["load_average_1m_at_end"] = load_average()
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
