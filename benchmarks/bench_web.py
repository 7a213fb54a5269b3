"""Benchmark: the web workspace under 50 people at once, on PostgreSQL.

A generated enterprise of 10,000 assets and 100,000 findings is loaded into a private
PostgreSQL schema; ``imagewarden serve`` runs in its own process on 127.0.0.1, behind a
reverse proxy as in a hospital (each person's X-Forwarded-For is their own address). Fifty simulated
people (an asyncio httpx load generator) each sign in, then loop: wait 1-3 s as a person does,
then open the dashboard, a filtered findings list, a finding, or accept a finding (a write).
The same load then runs against a minimal FastAPI endpoint reading one finding row from the
same database (also under uvicorn, in its own process): the floor, from the same run.

Goal (DESIGN.md): p95 under 150 ms with no errors.

    .venv/bin/python benchmarks/bench_web.py [--users 50] [--seconds 60] [--out FILE]

Prints the figures as JSON (p50, p95, p99, requests per second, errors; per kind of request
and for the floor) and writes them to --out when given. Results are not committed from a busy
machine: the lead reruns the benchmark on a quiet one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from machine import load_average, machine

PG_URL = os.environ.get("IMAGEWARDEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "benchmark password 1234"
KINDS = ("dashboard", "findings", "finding", "accept")
WEIGHTS = (0.25, 0.35, 0.30, 0.10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _schema() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"iw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def generate(db: str, assets: int, findings: int, users: int) -> list[str]:
    """Load the enterprise and the accounts; returns the ids of the findings."""
    from imagewarden.app import accounts, open_workspace
    from imagewarden.demo.enterprise import generate_enterprise
    from imagewarden.inventory import ImportContext, read_inventory
    from imagewarden.model import Finding, RiskFactor, RiskScore, Severity, SubjectKind
    from imagewarden.model import finding_fingerprint as fingerprint

    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder, open_workspace(db, create=True) as workspace:
        path = Path(folder) / "inventory.json"
        path.write_text(json.dumps(generate_enterprise(assets, max(assets // 500, 4), seed=7)))
        context = ImportContext(workspace.catalog, observed_at=dt.datetime.now(dt.UTC))
        workspace.store.save_inventory(read_inventory(path, context))
        checks = sorted(workspace.catalog.checks.values(), key=lambda c: c.id)
        stored = workspace.store.assets()
        per_asset = max(findings // len(stored), 1)
        now = dt.datetime.now(dt.UTC)
        made = []
        for a in stored:
            for check in rng.sample(checks, min(per_asset, len(checks))):
                score = rng.randint(5, 99)
                made.append(
                    Finding(
                        id=fingerprint(check.id, SubjectKind.ASSET, a.id),
                        check_id=check.id, subject_kind=SubjectKind.ASSET, subject_id=a.id,
                        site_id=a.site_id, asset_id=a.id, title=check.title,
                        severity=rng.choice(list(Severity)),
                        risk=RiskScore(score, (RiskFactor("severity", "high", 0.4, score, "b"),)),
                        evidence={"asset.os": a.os or "unknown"}, safeguards=check.safeguards,
                        first_seen=now, last_seen=now,
                    )
                )  # fmt: skip
        workspace.store.record_assessment(
            made[:findings], {}, started_at=now, finished_at=now,
            catalog_version=workspace.catalog.version, assets=len(stored),
        )  # fmt: skip
        for n in range(users):
            accounts.add_user(workspace, f"bench-{n:02d}", "security-analyst", password=PASSWORD)
    return [f.id for f in made[:findings]]


@contextmanager
def _process(args: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


FLOOR_APP = """
import os
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from sqlalchemy import create_engine, text
engine = create_engine(os.environ["BENCH_DB"], pool_size=40)
app = FastAPI()
@app.get("/healthz")
def health():
    return PlainTextResponse("ok")
@app.get("/row/{finding_id}")
def row(finding_id: str):
    with engine.connect() as c:
        found = c.execute(text("SELECT id, title, risk_score FROM findings WHERE id = :i"),
                          {"i": finding_id}).first()
    return {"id": found[0], "title": found[1], "risk": found[2]} if found else {}
"""


async def _person(
    url: str, name: str, ids: list[str], until: float, floor: bool, seed: int,
    samples: list[tuple[str, float, int]],
) -> None:  # fmt: skip
    rng = random.Random(seed)
    # Each person behind the hospital's reverse proxy (trusted by the server) has an address
    # of their own, as in a deployment; sign-in limits apply per address.
    person_address = {"X-Forwarded-For": f"10.20.{seed // 250}.{seed % 250 + 1}"}
    async with httpx.AsyncClient(
        base_url=url, timeout=30, follow_redirects=False, headers=person_address
    ) as client:
        csrf = ""
        if not floor:
            page = await client.get("/login")
            token = client.cookies.get("iw_login_csrf") or ""
            reply = await client.post(
                "/login", data={"name": name, "password": PASSWORD, "csrf_token": token}
            )
            if reply.status_code != 303:
                samples.append(("login", 0.0, reply.status_code))
                return
            page = await client.get("/account")
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            csrf = found.group(1) if found else ""
        while time.monotonic() < until:
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            if time.monotonic() >= until:
                break
            kind = rng.choices(KINDS, WEIGHTS)[0]
            finding = rng.choice(ids)
            start = time.perf_counter()
            if floor:
                reply = await client.get(f"/row/{finding}")
            elif kind == "dashboard":
                reply = await client.get("/")
            elif kind == "findings":
                severity = rng.choice(["", "high", "critical", "medium"])
                reply = await client.get(
                    "/findings", params={"severity": severity, "offset": rng.randint(0, 20) * 50}
                )
            elif kind == "finding":
                reply = await client.get(f"/findings/{finding}")
            else:
                reply = await client.post(
                    f"/findings/{finding}/accept",
                    data={"reason": "benchmark", "until": "2099-01-01", "csrf_token": csrf},
                )
            elapsed = time.perf_counter() - start
            ok = reply.status_code in (200, 303)
            samples.append(("floor" if floor else kind, elapsed, 0 if ok else reply.status_code))


def _figures(samples: list[tuple[str, float, int]], seconds: float) -> dict[str, object]:
    times = sorted(s[1] * 1000 for s in samples)
    if not times:
        return {"requests": 0}
    cut = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    return {
        "requests": len(times),
        "errors": sum(1 for s in samples if s[2]),
        "requests_per_second": round(len(times) / seconds, 1),
        "p50_ms": round(cut[49], 1),
        "p95_ms": round(cut[94], 1),
        "p99_ms": round(cut[98], 1),
    }


def _load(url: str, users: int, seconds: float, ids: list[str], floor: bool) -> dict[str, object]:
    samples: list[tuple[str, float, int]] = []

    async def everyone() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(_person(url, f"bench-{n:02d}", ids, until, floor, n, samples) for n in range(users))
        )

    asyncio.run(everyone())
    result = _figures(samples, seconds)
    if not floor:
        result["by_kind"] = {
            kind: _figures([s for s in samples if s[0] == kind], seconds) for kind in KINDS
        }
        result["login_failures"] = sum(1 for s in samples if s[0] == "login")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    start_load = load_average()
    with _schema() as db:
        started = time.perf_counter()
        ids = generate(db, options.assets, options.findings, options.users)
        generated = time.perf_counter() - started
        env = {**os.environ, "BENCH_DB": db}
        port = _free_port()
        serve = [sys.executable, "-m", "imagewarden", "--db", db, "serve", "--port", str(port),
                 "--trusted-proxy", "127.0.0.1"]  # fmt: skip
        with _process(serve, port, env) as url:
            workspace = _load(url, options.users, options.seconds, ids, floor=False)
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "floor_app.py").write_text(FLOOR_APP)
            port = _free_port()
            floor_cmd = [
                *(sys.executable, "-m", "uvicorn", "--app-dir", folder, "floor_app:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ]
            with _process(floor_cmd, port, env) as url:
                floor = _load(url, options.users, options.seconds, ids, floor=True)
    result = {
        "benchmark": "bench_web",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), **machine(start_load)},
        "database": "postgresql",
        "assets": options.assets,
        "findings": len(ids),
        "users": options.users,
        "think_time_s": [1, 3],
        "mix": dict(zip(KINDS, WEIGHTS, strict=True)),
        "seconds": options.seconds,
        "generate_s": round(generated, 1),
        "workspace": workspace,
        "floor_one_row": floor,
        "goal": "workspace p95 < 150 ms, no errors",
    }
    text = json.dumps(result, indent=2)
    print(text)
    if options.out:
        options.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
