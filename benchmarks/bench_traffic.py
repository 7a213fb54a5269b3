"""Benchmark: `imagewarden traffic analyze` against tshark on the same Ethernet-size capture.

Records, in the same run, real DICOM traffic between two network namespaces joined by a veth
pair (MTU 1500, GRO/TSO/GSO off, so packets have Ethernet sizes; a loopback capture has 64 KB
packets and flatters every tool): DCMTK storescu sending thousands of C-STOREs (about 256 KB
images) to storescp, with a C-FIND (findscu) and a C-ECHO (echoscu) to dcmqrscp after each
storescu association, until the capture holds --megabytes (default 520). dumpcap records it
on the server's side of the link as pcapng. Then it times, on the same file, after one
read to bring it into the page cache, alternating, --repeat times each:

  peer:  tshark -n -r CAP -d tcp.port==P,dicom ... -Y dicom -T fields -e ...
         (addresses, ports, PDU types, AE titles and the Info column: the same facts)
  ours:  imagewarden traffic analyze CAP --dicom-port P ... --batch-out BATCH

and writes both times (median), both peak memories (the child's maximum resident set) and
whether the facts agree (per client, server, port, calling and called AE: association
outcomes, requests and responses) as JSON. Goals (DESIGN.md): at least 5x faster than tshark
with the same facts, and under 150 MB of memory whatever the capture size.

Needs root (network namespaces), dumpcap, tshark, ethtool and DCMTK.

    .venv/bin/python benchmarks/bench_traffic.py [--megabytes 520] [--repeat 2]

Writes benchmarks/results/bench_traffic.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the namespace lab and tshark helpers live with the tests

from tests.traffic import tshark  # noqa: E402
from tests.traffic.dicom_files import synthetic_copy  # noqa: E402
from tests.traffic.netlab import NODELAY, NetnsPair, available, capturing, netns_pair  # noqa: E402

from imagewarden.traffic.model import CaptureBatch  # noqa: E402
from machine import load_average, machine  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bench_traffic.json"
IMAGEWARDEN = Path(sys.executable).with_name("imagewarden")
STORE_PORT = 11112
QUERY_PORT = 11113
STORES_PER_ASSOCIATION = 100
DISTINCT_FILES = 20
SIDE = 362  # 362 x 362 x 16 bits: about 256 KB of pixel data per image
SPEEDUP_GOAL = 5.0
PEER_FIELDS = tshark.FIELDS  # the last is dicom.pdv.flags
MEMORY_GOAL_MB = 150


def _images(folder: Path) -> list[Path]:
    """``DISTINCT_FILES`` CT images of about 256 KB, synthetic patient, fresh UIDs."""

    def enlarge(dataset: Any) -> None:
        dataset.Rows = dataset.Columns = SIDE
        dataset.PixelData = os.urandom(SIDE * SIDE * 2)

    folder.mkdir(parents=True)
    return [
        synthetic_copy(
            "CT_small.dcm",
            folder / f"bench-{index:02d}.dcm",
            ("Bench^Synthetic", "BENCH-0001"),
            enlarge,
        )
        for index in range(DISTINCT_FILES)
    ]


def _dcmqrscp_config(folder: Path) -> Path:
    store = folder / "archive"
    store.mkdir()
    config = folder / "dcmqrscp.cfg"
    config.write_text(
        textwrap.dedent(
            f"""\
            NetworkTCPPort  = {QUERY_PORT}
            MaxPDUSize      = 16384
            MaxAssociations = 16

            HostTable BEGIN
            HostTable END

            VendorTable BEGIN
            VendorTable END

            AETable BEGIN
            BENCHQR  {store}  RW  (100, 64mb)  ANY
            AETable END
            """
        )
    )
    return config


def record(folder: Path, megabytes: int) -> dict[str, Any]:
    """Record the capture; what was sent."""
    images = _images(folder / "images")
    image_bytes = statistics.mean(p.stat().st_size for p in images)
    stores = int(megabytes * 1e6 / image_bytes) + 1
    associations = -(-stores // STORES_PER_ASSOCIATION)
    capture = folder / "bench.pcapng"
    start = time.perf_counter()
    with netns_pair("10.95.0") as pair:
        _start_peers(pair, folder, images)
        srv = pair.server_ip
        with capturing(pair, capture, buffer_mb=256):
            sent = 0
            for run in range(associations):
                count = min(STORES_PER_ASSOCIATION, stores - sent)
                batch = [str(images[(sent + i) % len(images)]) for i in range(count)]
                store = ["storescu", "-aet", f"MOD{run % 40:02d}", "-aec", "BENCHSCP", srv,
                         str(STORE_PORT), *batch]  # fmt: skip
                pair.run("client", store, env=NODELAY, timeout=300)
                sent += count
                pair.run("client", ["findscu", "-aet", "READER", "-aec", "BENCHQR", "-S",
                                    "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
                                    srv, str(QUERY_PORT)], env=NODELAY)  # fmt: skip
                pair.run("client", ["echoscu", "-aet", "MONITOR", "-aec", "BENCHQR",
                                    srv, str(QUERY_PORT)], env=NODELAY)  # fmt: skip
    log = capture.with_suffix(".dumpcap.log").read_text(errors="replace")
    return {
        "capture_bytes": capture.stat().st_size,
        "record_s": round(time.perf_counter() - start, 1),
        "c_store_sent": stores,
        "c_find_sent": associations,
        "c_echo_sent": associations,
        "image_bytes": round(image_bytes),
        "dumpcap_summary": [line for line in log.splitlines() if "ropped" in line][-2:],
        "link": "veth pair between two network namespaces, MTU 1500, gro/tso/gso off",
    }


def _start_peers(pair: NetnsPair, folder: Path, images: list[Path]) -> None:
    received = folder / "received"
    received.mkdir()
    pair.start("server", ["storescp", "--ignore", "-aet", "BENCHSCP", "-od", str(received),
                          str(STORE_PORT)], env=NODELAY)  # fmt: skip
    pair.start("server", ["dcmqrscp", "-dhl", "-c", str(_dcmqrscp_config(folder))], env=NODELAY)
    pair.wait_port(STORE_PORT)
    pair.wait_port(QUERY_PORT)
    # a few studies to find, stored before the capture starts
    pair.run("client", ["storescu", "-aet", "LOADER", "-aec", "BENCHQR", pair.server_ip,
                        str(QUERY_PORT), *map(str, images[:5])], env=NODELAY)  # fmt: skip


def _timed(argv: list[str], stdout: Path) -> tuple[float, float]:
    """Wall seconds and the child's peak resident memory in MB."""
    with stdout.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv[0]} exited {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def _tshark_argv(capture: Path) -> list[str]:
    argv = ["tshark", "-n", "-r", str(capture)]
    for port in (STORE_PORT, QUERY_PORT):
        argv += ["-d", f"tcp.port=={port},dicom"]
    argv += ["-Y", "dicom", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
    for name in PEER_FIELDS:
        argv += ["-e", name]
    return argv


def _peer_facts(rows: list[list[str]]) -> dict[tshark.Key, dict[str, object]]:
    """tshark's facts: outcomes and requests as the tests read them, and DIMSE messages each
    way counted from the PDV flags (the Info column names a response once when several of
    them share a packet, so it cannot count them)."""
    facts = tshark.dicom_facts([row[: len(tshark.FIELDS)] for row in rows])
    keys: dict[str, tshark.Key] = {}
    commands: Counter[tuple[str, bool]] = Counter()
    for row in rows:
        stream, src, _sport, dst, dport, pdu, calling, called = row[:8]
        if "0x01" in pdu.split(",") and stream not in keys:
            keys[stream] = (src, dst, int(dport), calling.strip(), called.strip())
        last_commands = sum(1 for flag in row[-1].split(",") if flag == "0x03")
        commands[(stream, src)] += last_commands
    for stream, key in keys.items():
        entry = facts[key]
        entry["messages"] = entry.get("messages", Counter()) + Counter(  # type: ignore[operator]
            {"requests": commands[(stream, key[0])], "responses": commands[(stream, key[1])]}
        )
    return {key: {k: v for k, v in e.items() if k != "responses"} for key, e in facts.items()}


def _our_facts(batch: CaptureBatch) -> dict[tshark.Key, dict[str, object]]:
    """Our flows in the shape ``_peer_facts`` gives: outcomes, requests, DIMSE messages."""
    facts: dict[tshark.Key, dict[str, object]] = {}
    for flow in batch.flows:
        if flow.protocol != "dicom":
            continue
        key = (flow.client, flow.server, flow.port, flow.calling_ae, flow.called_ae)
        messages = {
            "requests": sum(flow.requests.values()),
            "responses": sum(flow.responses.values()),
        }
        facts[key] = {
            "associations": Counter(flow.associations),
            "requests": Counter(flow.requests),
            "messages": Counter({k: v for k, v in messages.items() if v}),
        }
    return facts


def compare(folder: Path, repeat: int) -> dict[str, Any]:
    """Time tshark and ours on the same capture, alternating; check the facts agree."""
    capture = folder / "bench.pcapng"
    batch_path = folder / "batch.json"
    peer_out, our_out = folder / "tshark.txt", folder / "ours.txt"
    subprocess.run(["cat", str(capture)], stdout=subprocess.DEVNULL, check=True)  # page cache
    ours_argv = [str(IMAGEWARDEN), "traffic", "analyze", str(capture),
                 "--dicom-port", str(STORE_PORT), "--dicom-port", str(QUERY_PORT),
                 "--batch-out", str(batch_path)]  # fmt: skip
    peer_runs: list[tuple[float, float]] = []
    our_runs: list[tuple[float, float]] = []
    for _ in range(repeat):
        peer_runs.append(_timed(_tshark_argv(capture), peer_out))
        our_runs.append(_timed(ours_argv, our_out))
    rows = [line.split("|") for line in peer_out.read_text().splitlines() if line]
    theirs = _peer_facts(rows)
    batch = CaptureBatch.from_json(json.loads(batch_path.read_text()))
    ours = _our_facts(batch)
    agree = ours == theirs
    differ = sorted(str(k) for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
    peer_s = statistics.median(t for t, _ in peer_runs)
    our_s = statistics.median(t for t, _ in our_runs)
    our_mb = max(m for _, m in our_runs)
    requests: Counter[str] = Counter()
    for entry in ours.values():
        requests.update(entry["requests"])  # type: ignore[arg-type]
    return {
        "packets": batch.stats.packets,
        "dicom_flows": len(ours),
        "associations": sum(sum(e["associations"].values()) for e in ours.values()),  # type: ignore[attr-defined]
        "requests": dict(sorted(requests.items())),
        "peer": {
            "command": "tshark -n -r CAP -d tcp.port==P,dicom ... -Y dicom -T fields "
            f"-e {' -e '.join(PEER_FIELDS)}",
            "runs_s": [round(t, 3) for t, _ in peer_runs],
            "median_s": round(peer_s, 3),
            "peak_memory_mb": round(max(m for _, m in peer_runs), 1),
        },
        "imagewarden": {
            "command": "imagewarden traffic analyze CAP --dicom-port P ... --batch-out B",
            "runs_s": [round(t, 3) for t, _ in our_runs],
            "median_s": round(our_s, 3),
            "peak_memory_mb": round(our_mb, 1),
        },
        "facts_agree": agree,
        "flows_that_differ": differ[:10],
        "speedup": round(peer_s / our_s, 2),
        "goals": {
            "speedup_at_least": SPEEDUP_GOAL,
            "peak_memory_mb_under": MEMORY_GOAL_MB,
            "met": agree and peer_s / our_s >= SPEEDUP_GOAL and our_mb < MEMORY_GOAL_MB,
        },
    }


def main() -> None:
    """Record, compare, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=520)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Keep the capture in this folder.")
    args = parser.parse_args()
    why = available()
    if why is None and shutil.which("tshark") is None:
        why = "tshark is not installed"
    if why is not None:
        raise SystemExit(f"bench_traffic: {why}")
    load_at_start = load_average()
    with tempfile.TemporaryDirectory(prefix="iw-bench-traffic-") as scratch:
        folder = Path(scratch)
        recorded = record(folder, args.megabytes)
        result = compare(folder, args.repeat)
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / "bench.pcapng", args.keep / "bench.pcapng")
    report = {
        "benchmark": "bench_traffic",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(load_at_start),
        "capture": recorded,
        **result,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
