"""A capability from another package plugs in through one entry point, touching nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.app import open_store
from tests.factories import asset, inventory

PLUGIN_ROOT = Path(__file__).parent / "plugin_example"


def _published(tmp_path: Path) -> dict[str, str]:
    """Publish the example package's entry point the way pip would (a dist-info folder)."""
    site = tmp_path / "site"
    info = site / "imagewarden_example-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: imagewarden-example\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[imagewarden.capabilities]\nexample = imagewarden_example.capability:CAPABILITY\n",
        encoding="utf-8",
    )
    path = os.pathsep.join([str(site), str(PLUGIN_ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "COLUMNS": "200"}


def _run(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imagewarden", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_a_plugin_adds_a_command_a_producer_and_a_report_section(tmp_path: Path) -> None:
    env = _published(tmp_path)
    listed = _run(env, "--help")
    assert "example" in listed.stdout and "Say hello from the example capability." in listed.stdout
    hello = _run(env, "example", "--name", "radiology")
    assert hello.returncode == 0 and "hello radiology" in hello.stdout

    db = tmp_path / "iw.db"
    with open_store(str(db), create=True) as store:
        store.save_inventory(inventory(asset("EXAMPLE-1"), asset("CT-2")))
    assert _run(env, "--db", db, "assess").returncode == 0
    listed_findings = _run(env, "--db", db, "findings", "list", "--format", "json")
    assert "Example plug-in finding" in listed_findings.stdout
    report = tmp_path / "r.html"
    ran = _run(env, "--db", db, "report", "-o", report)
    assert ran.returncode == 0, ran.stderr
    html = report.read_text(encoding="utf-8")
    assert "Example plug-in section" in html
    assert "The example capability found 1 example assets." in html


@pytest.mark.slow
def test_an_internal_error_exits_4_and_shows_the_traceback_only_with_debug(
    tmp_path: Path,
) -> None:
    env = _published(tmp_path)
    plain = _run(env, "example-crash")
    assert plain.returncode == 4
    assert "this is a bug in ImageWarden (RuntimeError)" in plain.stderr
    assert "Traceback" not in plain.stderr and "--debug" in plain.stderr
    debug = _run(env, "--debug", "example-crash")
    assert debug.returncode == 4 and "Traceback" in debug.stderr
    assert "deliberate failure" in debug.stderr
