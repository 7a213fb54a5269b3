"""Benchmark: discover 250 loopback DICOM services; nmap dicom-ping timed in the same run.

The targets: 127.0.1.1-254 x ports 11112, 4242, 2345. 250 DICOM devices listen on 11112
(150 accept any AE title, 50 check the called AE, 50 check the calling AE), 4 listeners on
4242 accept TCP and never answer, everything else is closed. The peers are an asyncio SCP
fleet in two processes (benchmarks/dicom_fleet.py), fast enough not to be the bottleneck.

Timed on the same targets, one after the other:
  nmap -Pn -n -p PORTS --script +dicom-ping 127.0.1.1-254
  imagewarden discovery, ping profile (one association per service, dicom-ping's facts)
  imagewarden discovery, safe profile (3 associations per service, one per host at a time)
The ImageWarden figures time the discovery engine in this process (the CLI adds its Python
start-up, reported separately).

    .venv/bin/python benchmarks/bench_discovery.py

Writes benchmarks/results/bench_discovery.json. Loopback only; every run is bounded.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from defusedxml import ElementTree

sys.path.insert(0, str(Path(__file__).parent))
from dicom_fleet import Device, Fleet
from imagewarden.discovery.interface import Profile, ServiceResult
from imagewarden.discovery.scheduler import run_discovery
from imagewarden.discovery.scope import parse_scope
from imagewarden.model import ServiceProtocol
from machine import load_average, machine

RESULTS = Path(__file__).parent / "results" / "bench_discovery.json"
PORTS = (11112, 4242, 2345)
RESPONSIVE = (11112, 2345)  # the same without port 4242, where the silent listeners are
NETWORK = "127.0.1.0/24"


def devices() -> list[Device]:
    fleet = []
    for i in range(1, 251):
        persona = ("open", "open", "open", "strict", "closed")[i % 5]
        fleet.append(Device(f"127.0.1.{i}", 11112, persona))
    fleet += [Device(f"127.0.1.{i}", 4242, "silent") for i in range(1, 5)]
    return fleet


def scope_text(read_timeout: float, ports: tuple[int, ...] = PORTS) -> str:
    now = dt.datetime.now(dt.UTC)
    return yaml.safe_dump(
        {
            "authorised_by": "benchmark (loopback only)",
            "window": {
                "start": (now - dt.timedelta(hours=1)).isoformat(),
                "end": (now + dt.timedelta(hours=1)).isoformat(),
            },
            "networks": [NETWORK],
            "ports": {"dicom": list(ports), "dicom_tls": [], "http": [], "https": [], "hl7": []},
            "rate": {
                "global_per_second": 10000,
                "per_host_per_second": 1000,
                "hosts_in_parallel": 256,
                "associations_per_host": 1,
                "connect_timeout": 1.0,
                "read_timeout": read_timeout,
            },
        }
    )


def run_nmap(ports: tuple[int, ...] = PORTS) -> tuple[float, dict[str, dict[str, str]]]:
    nmap = shutil.which("nmap")
    if nmap is None:
        raise SystemExit("nmap is not installed (scripts/system-deps)")
    cmd = [
        nmap,
        "-Pn",
        "-n",
        "-p",
        ",".join(map(str, ports)),
        "--script",
        "+dicom-ping",
        "-oX",
        "-",
        "127.0.1.1-254",
    ]
    started = time.perf_counter()
    completed = subprocess.run(cmd, capture_output=True, timeout=300, check=True)
    wall = time.perf_counter() - started
    found: dict[str, dict[str, str]] = {}
    root = ElementTree.fromstring(completed.stdout)
    for host in root.iter("host"):
        address = host.find("address").get("addr")
        for port in host.iter("port"):
            script = port.find("script[@id='dicom-ping']")
            if script is None or "DICOM Service Provider discovered" not in script.get(
                "output", ""
            ):
                continue
            facts = {e.get("key"): (e.text or "") for e in script.iter("elem")}
            found[f"{address}:{port.get('portid')}"] = facts
    return wall, found


def run_imagewarden(
    profile: Profile, read_timeout: float, ports: tuple[int, ...] = PORTS
) -> tuple[float, list[ServiceResult]]:
    scope = parse_scope(scope_text(read_timeout, ports), "bench-scope.yaml")
    targets = scope.targets()
    started = time.perf_counter()
    results = run_discovery(scope, targets, scope.options(profile))
    return time.perf_counter() - started, results


def dicom_services(results: list[ServiceResult]) -> dict[str, ServiceResult]:
    return {
        f"{r.target.host}:{r.target.port}": r
        for r in results
        if r.open and r.protocol is ServiceProtocol.DICOM
    }


def cli_wall(read_timeout: float, folder: Path) -> float:
    """End to end through the CLI (Python start-up, store merge included), safe profile."""
    imagewarden = str(Path(sys.executable).parent / "imagewarden")
    scope = folder / "scope.yaml"
    scope.write_text(scope_text(read_timeout))
    db = f"sqlite:///{folder / 'bench.db'}"
    subprocess.run([imagewarden, "--db", db, "init"], check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [imagewarden, "--db", db, "discover", "--scope", str(scope)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return time.perf_counter() - started


def main() -> None:
    start_load = load_average()
    read_timeout = 0.5
    with Fleet(devices(), processes=2):
        time.sleep(0.2)
        nmap_wall, nmap_found = run_nmap()
        nmap_wall_2, _ = run_nmap()  # second nmap run: the figure is stable, not a warm-up
        nmap_fast, nmap_fast_found = run_nmap(RESPONSIVE)
    # A fresh fleet for ImageWarden, so its per-address connection peaks are ours alone.
    with Fleet(devices(), processes=2) as fleet, tempfile.TemporaryDirectory() as tmp:
        time.sleep(0.2)
        run_imagewarden(Profile.PING, read_timeout, RESPONSIVE)  # warm-up (imports, TLS)
        ping_wall, ping_results = run_imagewarden(Profile.PING, read_timeout)
        safe_wall, safe_results = run_imagewarden(Profile.SAFE, read_timeout)
        # Without the silent port, so timeouts do not dominate either tool's figure.
        ping_fast, ping_fast_results = run_imagewarden(Profile.PING, read_timeout, RESPONSIVE)
        safe_fast, safe_fast_results = run_imagewarden(Profile.SAFE, read_timeout, RESPONSIVE)
        cli_seconds = cli_wall(read_timeout, Path(tmp))
    ping, safe = dicom_services(ping_results), dicom_services(safe_results)
    missed = sorted(set(nmap_found) - set(safe))
    nmap_insecure = sum("Any AET is accepted" in " ".join(f.values()) for f in nmap_found.values())
    result = {
        "benchmark": "bench_discovery",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), **machine(start_load)},
        "targets": {
            "addresses": 254,
            "ports": list(PORTS),
            "dicom_services": 250,
            "silent_listeners": 4,
            "closed_ports": 254 * 3 - 254,
        },
        "read_timeout_seconds": read_timeout,
        "nmap": {
            "command": f"nmap -Pn -n -p {','.join(map(str, PORTS))} --script +dicom-ping "
            "127.0.1.1-254",
            "wall_seconds": round(nmap_wall, 3),
            "wall_seconds_second_run": round(nmap_wall_2, 3),
            "services_found": len(nmap_found),
            "any_aet_accepted": nmap_insecure,
            "facts_per_service": 2,
        },
        "imagewarden_ping": {
            "wall_seconds": round(ping_wall, 3),
            "services_found": len(ping),
            "any_called_ae_accepted": sum(
                r.facts.get("dicom.accepts_any_called_ae") is True for r in ping.values()
            ),
            "facts_per_service": round(sum(len(r.facts) for r in ping.values()) / len(ping), 1),
        },
        "imagewarden_safe": {
            "wall_seconds": round(safe_wall, 3),
            "services_found": len(safe),
            "associations_per_host_setting": 1,
            "peak_connections_per_address_seen_by_peers": max(fleet.peaks.values()),
            "unknown_calling_ae_accepted": sum(
                r.facts.get("dicom.accepts_unknown_calling_ae") is True for r in safe.values()
            ),
            "facts_per_service": round(sum(len(r.facts) for r in safe.values()) / len(safe), 1),
            "cli_end_to_end_wall_seconds": round(cli_seconds, 3),
        },
        "responsive_ports_only": {
            "ports": list(RESPONSIVE),
            "nmap_wall_seconds": round(nmap_fast, 3),
            "nmap_services_found": len(nmap_fast_found),
            "imagewarden_ping_wall_seconds": round(ping_fast, 3),
            "imagewarden_ping_services_found": len(dicom_services(ping_fast_results)),
            "imagewarden_safe_wall_seconds": round(safe_fast, 3),
            "imagewarden_safe_services_found": len(dicom_services(safe_fast_results)),
        },
        "nmap_services_missed_by_imagewarden": missed,
        "goals": {
            "every_nmap_service_found": not missed,
            "ping_faster_than_nmap": ping_wall < min(nmap_wall, nmap_wall_2),
            "safe_within_2x_nmap": safe_wall <= 2 * min(nmap_wall, nmap_wall_2),
            "responsive_ping_faster_than_nmap": ping_fast < nmap_fast,
            "responsive_safe_within_2x_nmap": safe_fast <= 2 * nmap_fast,
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
