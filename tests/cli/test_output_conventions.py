"""Conventions every command keeps (a class test over the whole command tree):

* every listing takes ``--format json`` and prints JSON on stdout (``--json`` where a
  command had it stays an alias of it);
* every command that writes a file takes ``-`` for stdout where its option names one file,
  and prints the paths it wrote on stdout (messages go to stderr).

A new listing or file-writing command fails ``test_every_*_is_covered`` until it is added
to the tables here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from imagewarden.app import open_store
from imagewarden.cli.app import app
from tests.cli_runner import expect
from tests.factories import asset, inventory
from tests.governance.conftest import DATA
from tests.traffic.test_api import _capture, _inventory_file


def _commands() -> Iterator[tuple[str, Any]]:
    """(name, command) of every runnable command, lazily loaded ones included."""

    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "list_commands"):
            ctx = command.context_class(command)
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*path, name])
            if not (path and getattr(command, "invoke_without_command", False)):
                return
        yield " ".join(path), command

    yield from walk(typer.main.get_command(app), [])


def _options(command: Any) -> set[str]:
    return {o for p in command.params if p.param_type_name == "option" for o in p.opts}


LISTINGS: dict[str, tuple[str, ...]] = {
    "assets list": (),
    "audit list": (),
    "catalog list": (),
    "checklist list": (),
    "crosswalk": (),
    "culture report": (),
    "drill list": (),
    "feeds status": (),
    "findings list": (),
    "ir team list": (),
    "ir team roles": (),
    "jobs list": (),
    "keys list": (),
    "poam": (),
    "recovery plan": (),
    "traffic flows": (),
    "user list": (),
    "vulns list": (),
}
"""Every command that lists stored or catalog records, with the arguments it needs."""


def _is_listing(name: str) -> bool:
    return name.endswith((" list", " flows", " roles", " status")) and name != "db status"


def test_every_listing_is_covered() -> None:
    found = {name for name, _ in _commands() if _is_listing(name)}
    assert found <= set(LISTINGS), f"add to LISTINGS: {sorted(found - set(LISTINGS))}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "iw.db"
    expect(0, "init", db=path)
    with open_store(str(path)) as store:
        store.save_inventory(inventory(asset("CT-1", "north"), asset("MR-1", "south")))
    expect(0, "culture", "import", "training", DATA / "training.csv", db=path)
    expect(0, "assess", db=path)
    return path


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_every_listing_prints_json_on_stdout(db: Path, name: str) -> None:
    command = dict(_commands())[name]
    options = _options(command)
    assert "--format" in options, f"{name} takes no --format"
    ran = expect(0, *name.split(), *LISTINGS[name], "--format", "json", db=db)
    json.loads(ran.stdout)  # nothing but JSON on stdout
    if "--json" in options:  # the old flag is an alias
        assert expect(0, *name.split(), *LISTINGS[name], "--json", db=db).stdout == ran.stdout


FILE_OPTIONS = ("-o", "--out", "--output", "--csv", "--chart", "--manifest-out", "--batch-out")

WRITERS: dict[str, tuple[tuple[str, ...], bool]] = {
    # command: (arguments writing to {out}, whether '-' means stdout there)
    "board": (("--out", "{dir}", "--no-pdf"), False),
    "checklist export": (("-o", "{out}"), True),
    "crosswalk": (("--csv", "{out}"), True),
    "culture report": (("--csv", "{out}"), True),
    "drill report": (("1", "--out", "{out}"), True),
    "export defectdojo": (("-o", "{out}"), True),
    "export oscal": (("--out", "{dir}"), False),
    "findings export-vex": (("-o", "{out}"), True),
    "ir plan": (("--out", "{out}"), True),
    "maturity": (("--chart", "{out}"), False),
    "poam": (("--csv", "{out}"), True),
    "report": (("-o", "{out}", "--format", "json"), True),
    "tabletop generate": (("--out", "{dir}", "--no-pdf"), False),
}
"""Commands that write files, with the arguments that make them write one; the others
(demo, keys generate, backup verify, traffic analyze, feeds update, worker, centre) need a
folder of inputs or a peer and have their own tests."""
NOT_HERE = {
    "backup verify",
    "backup restore-test",
    "centre",
    "demo",
    "discover",
    "feeds update",
    "keys generate",
    "segmentation plan",  # needs analysed traffic: test_segmentation_plan_path_or_stdout
    "traffic analyze",
    "worker",
}


def test_every_file_writer_is_covered() -> None:
    found = {name for name, c in _commands() if _options(c) & set(FILE_OPTIONS)}
    missing = found - set(WRITERS) - NOT_HERE
    assert not missing, f"add to WRITERS: {sorted(missing)}"


def _start_drill(db: Path) -> None:
    expect(0, "drill", "schedule", "--site", "north", "--title", "x", "--on", "2026-10-01", db=db)
    expect(0, "drill", "log", "1", "PACS unreachable", "--kind", "inject", db=db)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_written_paths_are_printed_on_stdout(db: Path, tmp_path: Path, name: str) -> None:
    if name == "drill report":
        _start_drill(db)
    args, _ = WRITERS[name]
    folder = tmp_path / "out"
    target = folder / "document.out"
    folder.mkdir()
    ran = expect(0, *name.split(), *(a.format(out=target, dir=folder) for a in args), db=db)
    written = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    assert written and sorted(ran.stdout.split("\n")[:-1]) == written


@pytest.mark.parametrize("name", sorted(n for n, (_, dash) in WRITERS.items() if dash))
def test_a_dash_means_stdout(db: Path, tmp_path: Path, name: str) -> None:
    if name == "drill report":
        _start_drill(db)
    args, _ = WRITERS[name]
    ran = expect(0, *name.split(), *(a.format(out="-", dir="-") for a in args), db=db)
    assert ran.stdout.strip(), f"{name} printed nothing"
    assert not Path("-").exists()
    if name in ("report", "export defectdojo", "findings export-vex"):
        json.loads(ran.stdout)


def test_segmentation_plan_path_or_stdout(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    expect(0, "init", db=db)
    expect(0, "import", "inventory", _inventory_file(tmp_path), db=db)
    expect(0, "traffic", "analyze", _capture(tmp_path), db=db)
    to_stdout = expect(0, "segmentation", "plan", "--format", "cisco", "-o", "-", db=db)
    assert "permit tcp host 10.20.120.11" in to_stdout.stdout
    target = tmp_path / "plan.txt"
    written = expect(0, "segmentation", "plan", "--format", "cisco", "-o", target, db=db)
    assert written.stdout == f"{target}\n"
    assert "permit tcp host 10.20.120.11" in target.read_text(encoding="utf-8")


def test_traffic_batch_out_prints_its_path_or_the_batch_itself(tmp_path: Path) -> None:
    from imagewarden.traffic.model import CaptureBatch

    capture = _capture(tmp_path)
    target = tmp_path / "batch.json"
    written = expect(0, "traffic", "analyze", capture, "--batch-out", target)
    # stdout holds the path only: the flows and the summary are messages, on stderr
    assert written.stdout == f"{target}\n"
    assert "batch written" in written.stderr and "C-STORE" in written.stderr
    to_stdout = expect(0, "traffic", "analyze", capture, "--batch-out", "-")
    streamed = CaptureBatch.from_json(json.loads(to_stdout.stdout))
    saved = CaptureBatch.from_json(json.loads(target.read_text(encoding="utf-8")))
    # the two runs analysed the same capture; only the time each analysis ran may differ
    assert dataclasses.replace(streamed, analyzed_at=saved.analyzed_at) == saved
    assert dt.datetime.fromisoformat(streamed.analyzed_at) >= dt.datetime.fromisoformat(
        saved.analyzed_at
    )
    assert "batch written" in to_stdout.stderr and not Path("-").exists()
    both = expect(2, "traffic", "analyze", capture, "--batch-out", "-", "--json")
    assert "not both" in both.stderr and both.stdout == ""


def test_poam_review_never_mixes_with_the_csv_or_its_path(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "plan.csv"
    written = expect(0, "poam", "--csv", target, "--review", db=db)
    assert written.stdout == f"{target}\n"
    assert "quarterly review" in written.stderr
    to_stdout = expect(0, "poam", "--csv", "-", "--review", db=db)
    assert to_stdout.stdout == target.read_text(encoding="utf-8")
    assert "quarterly review" in to_stdout.stderr
