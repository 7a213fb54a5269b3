"""`imagewarden discover` as a user drives it: dry run, refusals, merge into the inventory."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from imagewarden.app import open_store
from imagewarden.cli.app import app
from imagewarden.discovery.lab.personas import DEFAULT_PERSONAS, Persona, relocated
from imagewarden.discovery.lab.scope import lab_scope
from imagewarden.discovery.lab.server import Lab
from imagewarden.discovery.section import discovery_section
from imagewarden.model import Service, ServiceProtocol
from tests.assessing import run_assessment
from tests.cli_runner import expect
from tests.discovery.peers import Listener
from tests.factories import asset, fact, inventory

runner = CliRunner()


@pytest.fixture(scope="module")
def lab(net: Callable[[int], str]) -> Iterator[tuple[Persona, ...]]:
    """The lab on this module's own addresses (the demo and other tests may run at once)."""
    personas = relocated(DEFAULT_PERSONAS, net(4))
    with Lab(personas):
        yield personas


def _write(
    path: Path, personas: tuple[Persona, ...] = DEFAULT_PERSONAS, **overrides: object
) -> Path:
    data = lab_scope(personas)
    data.update(overrides)
    path.write_text(yaml.safe_dump(data))
    return path


def test_dry_run_lists_every_step_and_sends_nothing(
    tmp_path: Path, net: Callable[[int], str]
) -> None:
    host = f"{net(4)}.41"
    scope = _write(tmp_path / "scope.yaml", hosts=[host], dicom={"services": []})
    with Listener(host, 11112) as listener:
        result = runner.invoke(
            app,
            [
                "--db",
                str(tmp_path / "none.db"),
                "discover",
                "--scope",
                str(scope),
                "--dry-run",
                "--profile",
                "standard",
                "--allow-query",
            ],
        )
    assert result.exit_code == 0, result.output
    assert listener.connections == 0
    assert not (tmp_path / "none.db").exists()
    assert f"{host}:11112 (dicom)" in result.stdout
    assert "IMAGEWARDEN->ANY-SCP" in result.stdout
    assert "C-FIND-RQ STUDY level" in result.stdout and "C-ECHO-RQ" in result.stdout
    assert "C-STORE" not in result.stdout and "C-MOVE-RQ" not in result.stdout


def test_dry_run_in_json_for_scripts_sends_nothing(
    tmp_path: Path, net: Callable[[int], str]
) -> None:
    host = f"{net(4)}.42"
    scope = _write(tmp_path / "scope.yaml", hosts=[host], dicom={"services": []})
    with Listener(host, 11112) as listener:
        ran = expect(
            0, "discover", "--scope", scope, "--dry-run", "--format", "json",
            db=tmp_path / "none.db",
        )  # fmt: skip
    assert listener.connections == 0 and not (tmp_path / "none.db").exists()
    plan = json.loads(ran.stdout)
    assert plan["dry_run"] is True and plan["profile"] == "safe"
    [target] = [t for t in plan["targets"] if t["target"] == f"{host}:11112"]
    assert target["kind"] == "dicom"
    assert any("IMAGEWARDEN->ANY-SCP" in step for step in target["steps"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "10.9.9.9"], "outside the scope"),
        (["--allow-query"], "need the standard profile"),
        (["--profile", "ping", "--allow-credential-checks"], "need the standard profile"),
    ],
)
def test_refusals_are_one_line_errors_with_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    scope = _write(tmp_path / "scope.yaml")
    result = runner.invoke(app, ["discover", "--scope", str(scope), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_scan_outside_the_time_window_is_refused(tmp_path: Path) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    window = {"start": past.isoformat(), "end": (past + dt.timedelta(hours=1)).isoformat()}
    scope = _write(tmp_path / "scope.yaml", window=window)
    db = str(tmp_path / "t.db")
    runner.invoke(app, ["--db", db, "init"])
    result = runner.invoke(app, ["--db", db, "discover", "--scope", str(scope)])
    assert result.exit_code == 2
    assert "outside the scope's time window" in result.output


@pytest.mark.integration
def test_discovery_merges_into_inventory_and_feeds_findings(
    tmp_path: Path, lab: tuple[Persona, ...], catalog: object
) -> None:
    promiscuous, hardened, _, old = lab
    new_id = "discovered-" + promiscuous.address.replace(".", "-")
    old_id = "discovered-" + old.address.replace(".", "-")
    db = str(tmp_path / "t.db")
    assert runner.invoke(app, ["--db", db, "init"]).exit_code == 0
    # The hardened archive is already inventoried (with an HL7 interface discovery won't see).
    known = asset(
        "PACS-1",
        site="north",
        ip_addresses=(hardened.address,),
        services=(Service(ServiceProtocol.HL7, 2575, tls=False),),
    )
    with open_store(db) as store:
        store.save_inventory(inventory(known, observations=(fact("PACS-1", "phi.stored", True),)))
    scope = _write(tmp_path / "scope.yaml", lab)
    result = runner.invoke(app, ["--db", db, "discover", "--scope", str(scope)])
    assert result.exit_code == 0, result.output
    assert f"{promiscuous.address}:{promiscuous.port}  dicom  outcome=accepted" in result.stdout
    with open_store(db) as store:
        assets = {a.id: a for a in store.assets()}
        merged = assets["PACS-1"]
        assert merged.managed is True
        assert {(s.protocol, s.port) for s in merged.services} == {
            (ServiceProtocol.HL7, 2575),
            (ServiceProtocol.DICOM, hardened.port),
        }
        new = assets[new_id]
        assert new.managed is False and new.type.value == "unknown"
        imported = [o for o in store.observations() if o.subject_id == "PACS-1"]
        assert any(o.name == "phi.stored" for o in imported)  # imported facts survive
        probed = [o for o in store.observations() if o.source.value == "probed"]
        assert probed and all(
            "safe; authorised by ImageWarden demo lab" in o.collector for o in probed
        )  # the audit trail of who allowed the scan
        findings = run_assessment(store, catalog).findings  # type: ignore[arg-type]
        section = discovery_section(store, store.assets())  # type: ignore[arg-type]
    assert section is not None
    [table] = section.data["tables"]
    rows = {row[1]: dict(zip(table["columns"], row, strict=True)) for row in table["rows"]}
    shown = rows[f"{promiscuous.address}:{promiscuous.port}"]
    assert (shown["Any called AE"], shown["Unknown calling AE"]) == ("yes", "yes")
    assert shown["Outcome"] == "accepted"
    by_asset = {(f.asset_id, f.check_id) for f in findings}
    assert (new_id, "urn:imagewarden:check:dicom-unknown-calling-ae") in by_asset
    assert (new_id, "urn:imagewarden:check:unmanaged-asset") in by_asset
    assert ("PACS-1", "urn:imagewarden:check:dicom-unknown-calling-ae") not in by_asset
    assert (
        old_id,
        "urn:imagewarden:check:discovered-product-outdated",
    ) in by_asset
