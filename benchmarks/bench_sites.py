"""Benchmark: discovery jobs run by site workers through the broker, against one `discover`.

Simulates --sites sites of --services DICOM services each (default 20 x 50), every service
an "open" peer of the asyncio fleet (benchmarks/dicom_fleet.py) on its own loopback address
127.77.<site>.<n>:11112. On a private RabbitMQ node (tests/workers/rabbit.py: its own node
name, ports and data folder; the machine's shared broker is never touched) it starts, as
real processes (tests/workers/cluster.py), ``imagewarden centre`` and one
``imagewarden worker --site S`` per site, each with its site's broker user, key and scope.
One discover job per site covers the site's services.

"1 and 2 worker processes": a site worker only consumes its own site's queue, so each site
has its worker; the benchmark keeps at most N jobs in flight (it submits the next job when
one is done), so at most N worker processes run jobs at any moment: N = 1, then N = 2. The
machine has 2 cores. Timed in the same run, on the same targets:

  peer:   imagewarden discover --scope ALL (one command over every site's services),
          and the same discovery engine called in-process (no start-up, no store)
  ours:   the S site jobs through the broker with 1 and 2 worker processes busy: wall time
          from the first submit to the last job done at the centre (applied), jobs per second

Per-job overhead: (median wall with 1 worker - median in-process engine over all targets) / jobs:
what submitting, the broker, the worker's narrowing and signing, the report and the
centre's apply add per job (the centre is polled every --poll seconds, included).
Goals (issue 15 item 5): per-job overhead < 50 ms; 2 workers >= 1.7x the throughput of 1.

    .venv/bin/python benchmarks/bench_sites.py [--sites 20] [--services 50]
    .venv/bin/python benchmarks/bench_sites.py --sites 4 --services 10   # a quick check

Writes benchmarks/results/bench_sites.json. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.workers
sys.path.insert(0, str(Path(__file__).parent))
from tests.workers.cluster import BrokerAccess, Cluster, imagewarden, in_window
from tests.workers.rabbit import RabbitNode

from dicom_fleet import Device, Fleet
from imagewarden.app.jobs import JobQuery, JobRequest, list_jobs, submit
from imagewarden.discovery.scheduler import run_discovery
from imagewarden.discovery.scope import parse_scope
from imagewarden.model.jobs import Job, JobKind, JobState
from imagewarden.workers.tasks import BrokerDispatcher
from machine import load_average, machine

RESULTS = Path(__file__).parent / "results" / "bench_sites.json"
PORT = 11112
GOAL_OVERHEAD_S = 0.050
GOAL_SPEEDUP = 1.7
RATE = {
    "global_per_second": 10000,
    "per_host_per_second": 1000,
    "hosts_in_parallel": 64,
    "associations_per_host": 1,
    "connect_timeout": 1.0,
    "read_timeout": 1.0,
}


def site_id(index: int) -> str:
    """The id of site ``index`` (1-based)."""
    return f"site{index:02d}"


def site_hosts(index: int, services: int) -> list[str]:
    """The loopback addresses of site ``index``'s services."""
    return [f"127.77.{index}.{n}" for n in range(1, services + 1)]


def scope_data(hosts: list[str], site: str | None) -> dict[str, Any]:
    """A scope over ``hosts`` port 11112, open now, safe profile."""
    data: dict[str, Any] = {
        "authorised_by": "benchmark (loopback only)",
        "profile": "safe",
        "window": in_window(),
        "hosts": hosts,
        "ports": {"dicom": [PORT], "dicom_tls": [], "http": [], "https": [], "hl7": []},
        "rate": RATE,
    }
    if site is not None:
        data["site"] = site
    return data


def write_scope(path: Path, hosts: list[str], site: str | None) -> Path:
    """Write a scope file; its path."""
    path.write_text(yaml.safe_dump(scope_data(hosts, site), sort_keys=False), encoding="utf-8")
    return path


def single_discover(folder: Path, hosts: list[str], repeat: int) -> dict[str, Any]:
    """The peer: one ``imagewarden discover`` over every site's services (whole command),
    then the same engine in this process (no start-up, no store)."""
    scope = write_scope(folder / "all-scope.yaml", hosts, None)
    db = folder / "single.db"
    subprocess.run(imagewarden("--db", db, "init"), check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        imagewarden("--db", db, "discover", "--scope", scope),
        check=True,
        capture_output=True,
        timeout=900,
    )
    cli_s = time.perf_counter() - started
    parsed = parse_scope(scope.read_text(encoding="utf-8"), "all-scope.yaml")
    engine_runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        results = run_discovery(parsed, parsed.targets(), parsed.options(None))
        engine_runs.append(round(time.perf_counter() - started, 3))
    engine_s = statistics.median(engine_runs)
    return {
        "what": "imagewarden discover over the same targets (one command, start-up included)",
        "seconds": round(cli_s, 3),
        "engine_in_process": {
            "what": "the discovery engine over the same targets in this process",
            "seconds": round(engine_s, 3),
            "runs_s": engine_runs,
            "services_found": sum(1 for r in results if r.open),
        },
    }


class Centre:
    """Submits jobs to the sites' queues and watches their state at the centre."""

    def __init__(self, cluster: Cluster) -> None:
        self.workspace = cluster.workspace()
        self.send = BrokerDispatcher(cluster.broker.centre_url)

    def submit(self, site: str, params: dict[str, Any]) -> str:
        """Queue one discover job; its id."""
        job = submit(self.workspace, JobRequest(JobKind.DISCOVER, site, params), self.send)
        assert job is not None
        return job.id

    def jobs(self, ids: set[str]) -> list[Job]:
        """The current state of the jobs ``ids``."""
        return [j for j in list_jobs(self.workspace, JobQuery(limit=0)) if j.id in ids]

    def close(self) -> None:
        """Close the broker connection and the database."""
        self.send.close()
        self.workspace.close()


def run_jobs(
    centre: Centre,
    cluster: Cluster,
    work: list[tuple[str, dict[str, Any]]],
    in_flight: int,
    poll: float,
    timeout: float = 1800.0,
) -> tuple[float, list[Job]]:
    """Run ``work`` (site, params) keeping at most ``in_flight`` jobs unfinished; the wall
    time from the first submit to the last job applied, and the jobs."""
    pending = list(work)
    running: set[str] = set()
    ids: set[str] = set()
    finished: dict[str, Job] = {}
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while pending or running:
        while pending and len(running) < in_flight:
            site, params = pending.pop(0)
            job_id = centre.submit(site, params)
            running.add(job_id)
            ids.add(job_id)
        time.sleep(poll)
        for job in centre.jobs(running):
            if job.state in (JobState.DONE, JobState.FAILED, JobState.EXPIRED):
                finished[job.id] = job
                running.discard(job.id)
        if time.monotonic() > deadline:
            raise SystemExit(f"jobs not finished in {timeout:.0f} s\n{cluster.logs()}")
        cluster.check_alive()
    wall = time.perf_counter() - started
    return wall, [finished[i] for i in ids]


def summarise(wall: float, jobs: list[Job], workers: int) -> dict[str, Any]:
    """Wall time, throughput and per-job timings of one run."""
    failed = [j.error[:200] for j in jobs if j.state is not JobState.DONE]
    queued = [(j.started_at - j.created_at).total_seconds() for j in jobs if j.started_at]
    running = [
        (j.finished_at - j.started_at).total_seconds()
        for j in jobs
        if j.started_at and j.finished_at
    ]
    return {
        "worker_processes_busy_at_most": workers,
        "jobs": len(jobs),
        "wall_seconds": round(wall, 3),
        "jobs_per_second": round(len(jobs) / wall, 3),
        "services_found": sum(int(j.summary.get("services_found", 0)) for j in jobs),
        "failed_jobs": failed,
        "median_submit_to_started_s": round(statistics.median(queued), 3) if queued else None,
        "median_started_to_applied_s": round(statistics.median(running), 3) if running else None,
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time, with every run's wall time beside it."""
    ordered = sorted(runs, key=lambda r: float(r["wall_seconds"]))
    return {**ordered[len(ordered) // 2], "runs_wall_s": [r["wall_seconds"] for r in runs]}


def main() -> None:
    """Run the benchmark and write its results JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--services", type=int, default=50, help="Per site (at most 254).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the median.")
    parser.add_argument("--poll", type=float, default=0.01, help="Seconds between polls.")
    parser.add_argument(
        "--centre-concurrency", type=int, default=1, help="Processes applying reports."
    )
    parser.add_argument("--note", default="", help="Recorded with the results.")
    args = parser.parse_args()
    if not (1 <= args.sites <= 250 and 1 <= args.services <= 254):
        raise SystemExit("--sites 1-250, --services 1-254")
    start_load = load_average()
    sites = [site_id(i) for i in range(1, args.sites + 1)]
    hosts = {site_id(i): site_hosts(i, args.services) for i in range(1, args.sites + 1)}
    every = [h for site in sites for h in hosts[site]]
    devices = [Device(h, PORT, "open") for h in every]
    with tempfile.TemporaryDirectory(prefix="bench-sites-") as tmp:
        folder = Path(tmp)
        node = RabbitNode(folder / "rabbit")
        (folder / "cluster").mkdir()
        with Fleet(devices, processes=2):
            time.sleep(0.2)
            peer = single_discover(folder, every, args.repeat)
            node.start()
            centre: Centre | None = None
            cluster = Cluster(folder / "cluster", BrokerAccess(node, "bench", tuple(sites)).setup())
            try:
                for site in sites:
                    key = cluster.site_key(site)
                    scope = write_scope(cluster.folder / f"{site}-scope.yaml", hosts[site], site)
                    cluster.start_worker(f"worker-{site}", site, scope, key)
                cluster.start(
                    "centre",
                    ["--db", cluster.db, "centre", "--concurrency", str(args.centre_concurrency),
                     "--broker", cluster.broker.centre_url],
                )  # fmt: skip
                centre = Centre(cluster)
                # warm-up, untimed: every worker up, connected, its catalog loaded
                warm = [(s, {"targets": [hosts[s][0]]}) for s in sites]
                warm_wall, _ = run_jobs(centre, cluster, warm, len(sites), 0.2)
                every_run: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
                for _ in range(args.repeat):  # alternating, the median run of each is kept
                    for workers in (1, 2):
                        wall, jobs = run_jobs(centre, cluster, [(s, {}) for s in sites],
                                              workers, args.poll)  # fmt: skip
                        every_run[workers].append(summarise(wall, jobs, workers))
                runs = {w: median_run(r) for w, r in every_run.items()}
            finally:
                if centre is not None:
                    centre.close()
                cluster.stop_all()
                node.stop()
    engine_s = peer["engine_in_process"]["seconds"]
    one, two = runs[1], runs[2]
    overhead = (one["wall_seconds"] - engine_s) / one["jobs"]
    speedup = two["jobs_per_second"] / one["jobs_per_second"]
    result = {
        "benchmark": "bench_sites",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(start_load),
        "small_run": args.sites < 20 or args.services < 50,
        "note": args.note,
        "sites": args.sites,
        "services_per_site": args.services,
        "services": len(every),
        "jobs_per_run": len(sites),
        "setup": "private RabbitMQ node; imagewarden centre + one imagewarden worker --site S "
        "(concurrency 1) per site; at most N jobs in flight, so at most N worker processes "
        "busy; asyncio DICOM fleet in 2 processes; safe profile",
        "centre_concurrency": args.centre_concurrency,
        "warm_up_seconds": round(warm_wall, 3),
        "peer_single_discover": peer,
        "workers_1": one,
        "workers_2": two,
        "ours": {"what": "site jobs, 1 worker process busy", "seconds": one["wall_seconds"]},
        "per_job_overhead_s": round(overhead, 4),
        "per_job_overhead_definition": "(wall with 1 worker - in-process engine over all "
        "targets) / jobs",
        "speedup_2_over_1": round(speedup, 3),
        "goals": {"per_job_overhead_s": GOAL_OVERHEAD_S, "speedup_2_over_1": GOAL_SPEEDUP},
        "within_goals": {
            "per_job_overhead": overhead < GOAL_OVERHEAD_S,
            "speedup": speedup >= GOAL_SPEEDUP,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
