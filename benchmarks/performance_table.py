"""The README's performance table, read from the results JSON files of the last runs.

Each row is one figure beside its peer from the same run, and the ratio (ours / peer).
A benchmark whose results are missing, or were written before it recorded its peer, shows
"not yet run" so the table never repeats a figure from an older run.

    .venv/bin/python benchmarks/performance_table.py            # prints the Markdown table
    .venv/bin/python benchmarks/performance_table.py --readme   # rewrites it in README.md
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).parent.parent / "README.md"
BEGIN = "<!-- performance table: benchmarks/performance_table.py --readme -->"
END = "<!-- end of performance table -->"

Row = tuple[str, str, float | None, str, float | None]
"""(what, our command, our seconds, the peer, the peer's seconds)."""


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _seconds(entry: Any) -> float | None:
    """A figure from an entry that is a number or holds one under a usual key."""
    if isinstance(entry, int | float):
        return float(entry)
    for key in ("median_s", "seconds", "wall_seconds", "seconds_median"):
        value = _get(entry, key)
        if isinstance(value, int | float):
            return float(value)
    return None


def _peers(data: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every entry named like a peer, at the top level or one level down."""
    for key, value in data.items():
        if key == "peers" and isinstance(value, dict):
            yield from value.items()
        elif key.startswith("peer") and isinstance(value, dict):
            yield key, value


def _assess(data: dict[str, Any]) -> Iterator[Row]:
    for size in data.get("sizes", []):
        peer = size.get("peer") or {}
        yield (
            f"assess + HTML report, {size['assets']:,} assets ({size['findings']:,} findings)",
            "assess, then report --format html",
            size.get("assess_plus_report_s"),
            "sqlite3 executemany of the same rows + GROUP BY + file write",
            _seconds(peer),
        )


def _vulns(data: dict[str, Any]) -> Iterator[Row]:
    ours = _seconds(_get(data, "import"))
    for key, peer in _peers(data):
        what = str(peer.get("what") or key)
        yield ("NVD import, 300,000 records", "vulns import", ours, what, _seconds(peer))


def _backup(data: dict[str, Any]) -> Iterator[Row]:
    for case in ("cached_subset", "cold_all_files", "all_files"):
        block = _get(data, case)
        if not isinstance(block, dict) or "skipped" in block:
            continue
        files = block.get("files", "?")
        ours = _seconds(block.get("imagewarden"))
        for key, peer in _peers(block):
            what = str(peer.get("what") or peer.get("command") or key)
            yield (
                f"backup verify, {files} files ({case})",
                "backup verify",
                ours,
                what,
                _seconds(peer),
            )


def _cli(data: dict[str, Any]) -> Iterator[Row]:
    medians = data.get("median_s", {})
    floor_name = next((k for k in medians if k.startswith("floor")), None)
    for name, value in medians.items():
        if name != floor_name and floor_name is not None:
            yield ("command-line start-up", name, value, floor_name, medians[floor_name])


def _governance(data: dict[str, Any]) -> Iterator[Row]:
    yield (
        f"GoPhish import, {data.get('gophish_rows', '?'):,} rows",
        "culture metrics",
        data.get("ours_seconds"),
        str(data.get("peer", "csv.DictReader")),
        data.get("peer_seconds"),
    )


def _discovery(data: dict[str, Any]) -> Iterator[Row]:
    yield (
        "DICOM discovery, 254 addresses",
        "discover (safe profile)",
        _get(data, "imagewarden_safe", "wall_seconds"),
        "nmap --script dicom-ping",
        _get(data, "nmap", "wall_seconds"),
    )


def _sites(data: dict[str, Any]) -> Iterator[Row]:
    peer = data.get("peer_single_discover") or {}
    what = f"{data.get('sites', '?')} sites x {data.get('services_per_site', '?')} services"
    for workers in (1, 2):
        yield (
            f"site discover jobs through the broker, {what}",
            f"{workers} worker process{'es' if workers > 1 else ''}",
            _get(data, f"workers_{workers}", "wall_seconds"),
            "one imagewarden discover over the same targets",
            _seconds(peer),
        )


def _web(data: dict[str, Any]) -> Iterator[Row]:
    ours, floor = data.get("workspace") or {}, data.get("floor_one_row") or {}
    p95 = _get(ours, "p95_ms")
    floor_p95 = _get(floor, "p95_ms")
    yield (
        f"{data.get('users', '?')} people, {data.get('findings', 0):,} findings, p95 latency",
        "imagewarden serve",
        p95 / 1000 if isinstance(p95, int | float) else None,
        "minimal FastAPI endpoint reading one row",
        floor_p95 / 1000 if isinstance(floor_p95, int | float) else None,
    )


def _traffic(data: dict[str, Any]) -> Iterator[Row]:
    ours = _seconds(data.get("ours") or data.get("imagewarden"))
    for _key, peer in _peers(data):
        yield (
            "DICOM capture analysis",
            "traffic analyze",
            ours,
            "tshark, same facts",
            _seconds(peer),
        )


EXTRACTORS: dict[str, Callable[[dict[str, Any]], Iterator[Row]]] = {
    "bench_assess": _assess,
    "bench_vulns": _vulns,
    "bench_backup": _backup,
    "bench_traffic": _traffic,
    "bench_cli": _cli,
    "bench_discovery": _discovery,
    "bench_governance": _governance,
    "bench_sites": _sites,
    "bench_web": _web,
}


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _one_minute(value: Any) -> Any:
    return round(value[0], 2) if isinstance(value, list) and value else value


def _load(data: dict[str, Any]) -> str:
    for where in (("machine",), ()):
        start = _get(data, *where, "load_average_1m_at_start") or _get(
            data, *where, "load_average_at_start"
        )
        end = _get(data, *where, "load_average_1m_at_end") or _get(
            data, *where, "load_average_at_end"
        )
        if start is not None:
            return f"{_one_minute(start)} → {_one_minute(end)}"
    return "—"


def table() -> str:
    """The Markdown table of every benchmark's figures."""
    lines = [
        "| benchmark | ours | peer (same run) | ratio | run on | load avg (1 min) |",
        "|---|---|---|---|---|---|",
    ]
    for name, extract in EXTRACTORS.items():
        path = RESULTS / f"{name}.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        rows = list(extract(data)) if "load_average" in json.dumps(data) else []
        if not rows:
            lines.append(f"| `{name}` | not yet run | | | | |")
            continue
        for what, command, ours, peer, theirs in rows:
            ratio = f"{ours / theirs:.2f}×" if ours and theirs else "—"
            cells = (f"`{name}`: {what}", f"{command}: {_cell(ours)}", f"{peer}: {_cell(theirs)}")
            escaped = " | ".join(c.replace("|", "\\|") for c in cells)
            when = str(data.get("date") or data.get("when") or "")[:10]
            lines.append(f"| {escaped} | {ratio} | {when} | {_load(data)} |")
    return "\n".join(lines)


def write_readme(readme: Path = README) -> None:
    """Replace the table between the README's markers with the current one."""
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if "--readme" in sys.argv[1:]:
        write_readme()
    else:
        print(table())
