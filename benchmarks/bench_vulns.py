"""Benchmark: NVD feed import (300,000 records) and matching 5,000 assets.

In one run:
  1. generate an NVD CVE API 2.0 feed file of N records (default 300,000), shaped like real
     records (descriptions, CVSS v3.1 metrics, CPE configurations with version ranges, AND
     firmware/hardware pairs, references; about 10 % without configurations);
  2. ours: ``FeedImporter`` streams the file into SQLite, in a child process; it reads the
     file in a child of its own while it inserts the rows. Reported: wall time, the CPU of
     both, and peak memory as the sum of both peak resident sizes (``ru_maxrss`` of itself
     and of its children), plus the peak PSS of both sampled every 50 ms;
  3. peer (the floor): ijson's C backend streaming the same file item by item
     (``ijson.items(f, "vulnerabilities.item")``: parsing only, nothing checked or stored),
     same memory measure; the goal is an import within 2.5x of it;
  4. peer: ``json.load`` of the same file (the plain, non-streaming way to read it; most of
     its time is the garbage collector, so it is an easy peer), same memory measure;
  5. an inventory of 5,000 assets is saved: three in four run one of 400 products drawn from
     the feed's vendors and products (an enterprise has many identical devices), the rest
     products of vendors the feed does not know; then ``VulnProducer.matches`` (index lookup
     in the store + CPE/range matching + mention matching) is timed, median of --repeat runs.

Budgets (DESIGN.md, issue 16): import peak < 300 MiB and at most 2.5x ijson's parse of
the same file in the same run; matching 5,000 assets < 1 s. Each child reports wall and CPU
seconds: on a shared machine the CPU ratio is the steadier one (load averages recorded).

    .venv/bin/python benchmarks/bench_vulns.py [--records 300000] [--assets 5000]
    .venv/bin/python benchmarks/bench_vulns.py --records 30000 --no-write   # a quick look

Writes benchmarks/results/bench_vulns.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import load_average, machine

RESULTS = Path(__file__).parent / "results" / "bench_vulns.json"
MIB = 1024  # ru_maxrss is in KiB on Linux
VENDORS = 400
PRODUCTS_PER_VENDOR = 25
PRODUCTS = 400
"""Distinct known products in the benchmark inventory (plus unknown vendors' products)."""

CHILD_IMPORT = """
import datetime as dt, json, resource, sys, time
from pathlib import Path
from imagewarden.app import load_catalog, open_store
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.store.repository import VulnRepository
db, feed = sys.argv[1], Path(sys.argv[2])
catalog = load_catalog()
def children_cpu():
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime
with open_store(db, create=True) as store:
    start, cpu, reader_cpu = time.perf_counter(), time.process_time(), children_cpu()
    importer = FeedImporter(VulnRepository(store), catalog, "benchmark")
    result = importer.import_file(feed, dt.datetime.now(dt.UTC))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    reader_cpu = children_cpu() - reader_cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu + reader_cpu,
                  "cpu_seconds_writer": cpu, "cpu_seconds_reader": reader_cpu,
                  "records": result.records,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "peak_reader_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""

CHILD_IJSON = """
import json, resource, sys, time
import ijson
start, cpu = time.perf_counter(), time.process_time()
records = 0
with open(sys.argv[1], "rb") as handle:
    for _ in ijson.items(handle, "vulnerabilities.item", use_float=True):
        records += 1
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "records": records,
                  "backend": ijson.backend,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

CHILD_JSON_LOAD = """
import json, resource, sys, time
start, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as handle:
    data = json.load(handle)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu,
                  "records": len(data["vulnerabilities"]),
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _vendor(v: int) -> str:
    return f"vendor{v:03d}"


def _product(v: int, p: int) -> str:
    return f"product_{v:03d}_{p:02d}"


def _record(rng: random.Random, index: int) -> dict[str, object]:
    year = 2000 + index % 26
    cve = f"CVE-{year}-{100000 + index}"
    v = rng.randrange(VENDORS)
    p = rng.randrange(PRODUCTS_PER_VENDOR)
    major, minor = rng.randrange(1, 12), rng.randrange(0, 20)
    score = round(rng.uniform(2.0, 10.0), 1)
    record: dict[str, object] = {
        "id": cve,
        "sourceIdentifier": "cna@example.org",
        "published": f"{year}-03-01T10:00:00.000",
        "lastModified": f"{year}-06-01T10:00:00.000",
        "vulnStatus": "Analyzed",
        "cveTags": [],
        "descriptions": [
            {
                "lang": "en",
                "value": f"A buffer overflow in {_product(v, p).replace('_', ' ')} of "
                f"{_vendor(v)} before {major}.{minor}.0 allows remote attackers to execute "
                "arbitrary code via a crafted DICOM association request.",
            }
        ],
        "metrics": {
            "cvssMetricV31": [
                {
                    "source": "nvd@nist.gov",
                    "type": "Primary",
                    "cvssData": {
                        "version": "3.1",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        "baseScore": score,
                        "baseSeverity": "HIGH" if score >= 7 else "MEDIUM",
                    },
                    "exploitabilityScore": 3.9,
                    "impactScore": 5.9,
                }
            ]
        },
        "weaknesses": [
            {
                "source": "nvd@nist.gov",
                "type": "Primary",
                "description": [{"lang": "en", "value": "CWE-787"}],
            }
        ],
        "references": [
            {"url": f"https://example.org/advisories/{cve}", "source": "cna@example.org"},
            {
                "url": f"https://example.org/patch/{index}",
                "source": "cna@example.org",
                "tags": ["Patch"],
            },
        ],
    }
    if index % 10 == 0:
        return record  # awaiting analysis: no configurations
    criteria = f"cpe:2.3:a:{_vendor(v)}:{_product(v, p)}:*:*:*:*:*:*:*:*"
    match: dict[str, object] = {
        "vulnerable": True,
        "criteria": criteria,
        "versionEndExcluding": f"{major}.{minor}.0",
        "matchCriteriaId": f"{index:08X}-0000-0000-0000-000000000000",
    }
    if index % 3 == 0:
        match["versionStartIncluding"] = f"{max(1, major - 2)}.0"
    if index % 7 == 0:
        firmware = f"cpe:2.3:o:{_vendor(v)}:{_product(v, p)}_firmware:*:*:*:*:*:*:*:*"
        hardware = f"cpe:2.3:h:{_vendor(v)}:{_product(v, p)}:-:*:*:*:*:*:*:*"
        record["configurations"] = [
            {
                "operator": "AND",
                "nodes": [
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [dict(match, criteria=firmware)],
                    },
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [{"vulnerable": False, "criteria": hardware}],
                    },
                ],
            }
        ]
    else:
        second = {
            "vulnerable": True,
            "criteria": f"cpe:2.3:a:{_vendor(v)}:{_product(v, (p + 1) % 25)}:"
            f"{major}.{minor}.1:*:*:*:*:*:*:*",
        }
        record["configurations"] = [
            {"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [match, second]}]}
        ]
    return record


def generate_feed(path: Path, records: int, seed: int = 7) -> int:
    """Write the feed record by record, so generation needs no memory either."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            f'{{"resultsPerPage": {records}, "startIndex": 0, "totalResults": {records}, '
            '"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [\n'
        )
        for index in range(records):
            if index:
                out.write(",\n")
            out.write(json.dumps({"cve": _record(rng, index)}, separators=(",", ":")))
        out.write("\n]}\n")
    return path.stat().st_size


def _pss_kib(pid: int) -> int:
    """Proportional set size of a process and its children (shared pages counted once)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total  # it ended meanwhile
    return total + sum(_pss_kib(int(child)) for child in children)


def _child(code: str, *args: str) -> dict[str, float]:
    """Run ``code`` in a child process; its JSON result, plus the peak PSS of it and its
    own children sampled every 50 ms from here (the reading child shares pages with it)."""
    with subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True
    ) as running:
        peak = 0
        while running.poll() is None:
            peak = max(peak, _pss_kib(running.pid))
            time.sleep(0.05)
        out = running.stdout.read() if running.stdout else ""
    if running.returncode:
        raise SystemExit(f"benchmark child failed with exit code {running.returncode}")
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["peak_pss_kib_sampled"] = peak
    return result


def _match(db: str, assets: int, repeat: int) -> dict[str, object]:
    from imagewarden.app import load_catalog, open_store
    from imagewarden.engine import load_view
    from imagewarden.model import Asset, AssetType, Inventory, Site
    from imagewarden.vulns.producer import VulnProducer

    rng = random.Random(11)
    # An enterprise has many identical devices: 5,000 assets run a few hundred products.
    pool = [(rng.randrange(VENDORS), rng.randrange(PRODUCTS_PER_VENDOR)) for _ in range(PRODUCTS)]
    sites = tuple(Site(f"site-{i}", f"Site {i}") for i in range(50))
    items = []
    for i in range(assets):
        known = i % 4 != 0
        v, p = rng.choice(pool)
        version = f"{rng.randrange(1, 12)}.{rng.randrange(0, 20)}.{rng.randrange(3)}"
        items.append(
            Asset(
                id=f"A-{i:05d}",
                site_id=f"site-{i % 50}",
                name=f"Asset {i}",
                type=AssetType.PACS,
                vendor=_vendor(v) if known else f"Unknown Vendor {i % 97}",
                model=_product(v, p).replace("_", " ") if known else f"Model {i % 89}",
                software_version=version,
            )
        )
    catalog = load_catalog()
    with open_store(db) as store:
        store.save_inventory(Inventory(sites=sites, assets=tuple(items)))
        view = load_view(store, catalog, dt.date.today())
        producer = VulnProducer(store, catalog)
        times, cpu, found = [], [], 0
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            found = len(producer.matches(view))
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return {
        "what": "VulnProducer.matches: index lookup in the store + CPE/range + mention matching",
        "assets": assets,
        "distinct_known_products": PRODUCTS,
        "matches": found,
        "seconds_median": statistics.median(times),
        "cpu_seconds_median": statistics.median(cpu),
        "seconds_first_run": times[0],
        "seconds_all": times,
    }


def _peer(name: str, figures: dict[str, float], what: str) -> dict[str, object]:
    print(
        f"peer {name}: {figures['seconds']:.1f} s (cpu {figures['cpu_seconds']:.1f} s), "
        f"peak {figures['peak_kib'] / MIB:.0f} MiB"
    )
    return {
        "what": what,
        "seconds": figures["seconds"],
        "cpu_seconds": figures["cpu_seconds"],
        "peak_rss_mib": round(figures["peak_kib"] / MIB, 1),
        "peak_pss_mib_sampled": round(figures["peak_pss_kib_sampled"] / MIB, 1),
        **({"backend": figures["backend"]} if "backend" in figures else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--assets", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-json-load", action="store_true", help="json.load needs GBs.")
    parser.add_argument("--no-write", action="store_true", help="Print only (quick runs).")
    options = parser.parse_args()
    load_at_start = load_average()
    load_all_at_start = __import__("os").getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-vulns-") as folder:
        feed = Path(folder) / "nvdcve-2.0-bench.json"
        db = str(Path(folder) / "bench.db")
        start = time.perf_counter()
        size = generate_feed(feed, options.records)
        generated = time.perf_counter() - start
        print(f"generated {options.records} records ({size / 2**20:.0f} MiB) in {generated:.0f} s")
        floor = _child(CHILD_IJSON, str(feed))
        ijson_peer = _peer(
            "ijson",
            floor,
            "ijson.items(f, 'vulnerabilities.item') of the same file in a child process "
            "(C backend, streaming, parse only): the floor",
        )
        ours = _child(CHILD_IMPORT, db, str(feed))
        ours_peak = (ours["peak_kib"] + ours["peak_reader_kib"]) / MIB
        print(
            f"ours: import {ours['seconds']:.1f} s (cpu {ours['cpu_seconds']:.1f} s: writer "
            f"{ours['cpu_seconds_writer']:.1f} s, reader {ours['cpu_seconds_reader']:.1f} s), "
            f"peak {ours_peak:.0f} MiB (sampled PSS {ours['peak_pss_kib_sampled'] / MIB:.0f} MiB)"
        )
        loaded = None if options.skip_json_load else _child(CHILD_JSON_LOAD, str(feed))
        json_peer = (
            None
            if loaded is None
            else _peer("json.load", loaded, "json.load of the same file in a child process")
        )
        match = _match(db, options.assets, options.repeat)
        print(
            f"match {match['assets']} assets: {match['seconds_median']:.3f} s "
            f"({match['matches']} matches)"
        )
    ratio = ours["seconds"] / floor["seconds"]
    ratio_cpu = ours["cpu_seconds"] / floor["cpu_seconds"]
    busier = max(ours["cpu_seconds_writer"], ours["cpu_seconds_reader"])
    ratio_busier = busier / floor["cpu_seconds"]
    print(
        f"import / ijson: {ratio:.2f}x wall, {ratio_cpu:.2f}x cpu of both processes, "
        f"{ratio_busier:.2f}x cpu of the busier one (goal 2.5x)"
    )
    result = {
        "benchmark": "bench_vulns",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": load_all_at_start,
        "load_average_at_end": __import__("os").getloadavg(),
        "note": "2 shared CPUs; other jobs ran at the same time (see load averages), so wall "
        "times are inflated; cpu_seconds is each process's own CPU time, and the peers ran "
        "in the same run as ours on the same file",
        "machine": {
            **machine(load_at_start),
            "platform": platform.platform(),
        },
        "feed": {"records": options.records, "bytes": size, "generate_seconds": generated},
        "import": {
            "what": "FeedImporter.import_file into SQLite: the file is read in a child process "
            "(msgspec decode, checks, rows) while this one inserts the rows",
            "seconds": ours["seconds"],
            "cpu_seconds": ours["cpu_seconds"],
            "cpu_seconds_writer": ours["cpu_seconds_writer"],
            "cpu_seconds_reader": ours["cpu_seconds_reader"],
            "records_written": ours["records"],
            "peak_rss_mib": round(ours_peak, 1),
            "peak_rss_mib_note": "the writer's peak RSS plus the reading child's (an upper "
            "bound: the peaks need not coincide, and the forked child's RSS counts pages it "
            "shares with the writer)",
            "peak_rss_mib_writer": round(ours["peak_kib"] / MIB, 1),
            "peak_rss_mib_reader": round(ours["peak_reader_kib"] / MIB, 1),
            "peak_pss_mib_sampled": round(ours["peak_pss_kib_sampled"] / MIB, 1),
            "budget_peak_mib": 300,
            "within_budget": ours_peak < 300,
            "ratio_to_ijson_wall": round(ratio, 2),
            "ratio_to_ijson_cpu": round(ratio_cpu, 2),
            "ratio_to_ijson_cpu_busier_process": round(ratio_busier, 2),
            "ratio_to_ijson_cpu_busier_process_note": "the CPU seconds of the busier of the "
            "two processes (reader or writer) over ijson's: the wall ratio to expect when "
            "both have a core of their own",
            "goal_ratio": 2.5,
            "within_goal_wall": ratio <= 2.5,
            "within_goal_cpu": ratio_cpu <= 2.5,
        },
        "peer_ijson": ijson_peer,
        "peer_json_load": json_peer,
        "match": {
            **match,
            "budget_seconds": 1.0,
            "within_budget_wall": float(str(match["seconds_median"])) < 1.0,
            "within_budget_cpu": float(str(match["cpu_seconds_median"])) < 1.0,
        },
    }
    if options.no_write:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
