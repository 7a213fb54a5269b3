"""The application API: apply stores flows, unmanaged assets, services and observations in
one audited change; the CLI (analyze, batch out, apply, flows) only calls it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from imagewarden.app import Workspace, installed_capabilities, open_store
from imagewarden.catalog import Catalog
from imagewarden.model import ObservationSource, ServiceProtocol, UserInputError
from imagewarden.traffic import api
from imagewarden.traffic.model import CaptureBatch
from tests.cli_runner import expect
from tests.traffic import department as dept
from tests.traffic.crafted import store_association
from tests.traffic.packets import Conversation, write_pcap

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
CLEAR_IMAGES = "urn:imagewarden:check:traffic-cleartext-images-cross-segment"


@pytest.fixture
def workspace(db_url: str, catalog: Catalog) -> Workspace:
    store = open_store(db_url, create=True)
    store.save_inventory(dept.department())
    return Workspace(store, catalog, installed_capabilities(), actor="tester")


def test_apply_stores_flows_hosts_services_and_facts(workspace: Workspace) -> None:
    summary = api.apply(workspace, dept.batch(), now=NOW)
    assert summary.site_id == "north"  # the site of the known hosts in the capture
    assert summary.flows == len(dept.flows()) and not summary.replaced
    assert summary.new_assets == ("discovered-10-20-130-99",)  # never the internet address
    assets = {a.id: a for a in workspace.store.assets()}
    rogue = assets["discovered-10-20-130-99"]
    assert not rogue.managed and rogue.ip_addresses == (dept.ROGUE,)
    assert rogue.site_id == "north"
    ports = {s.port: s for s in assets["PACS-1"].services}
    assert ports[8080].protocol is ServiceProtocol.DICOMWEB  # seen, not listed: added
    assert ports[104].ae_title == "PACS1"  # listed services are kept as they were
    facts = {
        (o.subject_id, o.name): o.value
        for o in workspace.store.observations(source=ObservationSource.SNIFFED)
    }
    assert facts[("PACS-1:dicom/104", "traffic.cleartext_images")] == 20
    assert facts[("PACS-1:dicom/104", "traffic.calling_ae_titles")] == "CT1, ROGUE, WS1"
    assert facts[("PACS-1:dicom/104", "traffic.queries")] == 10
    assert facts[("PACS-1:dicom/104", "traffic.clients")] == 3
    assert facts[("PACS-1:dicom/104", "service.tls")] is False
    assert facts[("PACS-1:dicom/2762", "service.tls")] is True
    assert facts[("PACS-1:hl7/2575", "traffic.cleartext_hl7_messages")] == 24
    assert facts[("PACS-1:dicomweb/8080", "traffic.cleartext_dicomweb_requests")] == 4
    assert facts[("PACS-1:dicom/104", "traffic.last_seen")] == dt.date(2026, 11, 20)
    (entry,) = workspace.store.audit_entries(action="traffic.apply")
    assert entry.actor == "tester"
    assert entry.after is not None and entry.after["new_assets"] == 1
    assert entry.after["files"] == ["north.pcapng"]


def test_applying_the_same_capture_again_replaces_it(workspace: Workspace) -> None:
    api.apply(workspace, dept.batch(), now=NOW)
    again = api.apply(workspace, dept.batch(), now=NOW)
    assert again.replaced and again.new_assets == ()
    assert len(api.flows(workspace)) == len(dept.flows())
    assert len(api.captures(workspace)) == 1
    assert len(workspace.store.audit_entries(action="traffic.apply")) == 2


def test_a_second_capture_adds_to_the_facts(workspace: Workspace) -> None:
    api.apply(workspace, dept.batch(), now=NOW)
    later = dataclasses.replace(dept.flows()[0], requests={"C-STORE": 5}, calling_ae="CT1")
    api.apply(workspace, dept.batch((later,), name="later.pcapng"), now=NOW)
    facts = {
        (o.subject_id, o.name): o.value
        for o in workspace.store.observations(source=ObservationSource.SNIFFED)
    }
    assert facts[("PACS-1:dicom/104", "traffic.cleartext_images")] == 25
    assert len(api.captures(workspace)) == 2


def test_the_site_must_be_known_or_evident(workspace: Workspace) -> None:
    with pytest.raises(UserInputError, match="unknown site 'nowhere'"):
        api.apply(workspace, dept.batch(), site_id="nowhere")
    strangers = (dataclasses.replace(dept.flows()[3], client="10.9.9.9", server="10.9.9.8"),)
    with pytest.raises(UserInputError, match="cannot tell which site"):
        api.apply(workspace, dept.batch(strangers))
    summary = api.apply(workspace, dept.batch(strangers), site_id="south")
    assert summary.site_id == "south"
    assert {a.site_id for a in workspace.store.assets() if not a.managed} == {"south"}


def test_a_failed_apply_leaves_nothing(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imagewarden.traffic import inventory

    def broken(*_args: object, **_kw: object) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api, "observation_batch", broken)
    assets_before = len(workspace.store.assets())
    with pytest.raises(RuntimeError):
        api.apply(workspace, dept.batch(), now=NOW)
    assert len(workspace.store.assets()) == assets_before
    assert api.flows(workspace) == [] and api.captures(workspace) == []
    assert workspace.store.audit_entries(action="traffic.apply") == []
    del inventory


def test_batch_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    api.write_batch(dept.batch(), path)
    again = api.read_batch(path)
    assert again.flows == dept.batch().flows
    assert again.fingerprint == dept.batch().fingerprint
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(UserInputError, match="not a capture batch"):
        api.read_batch(path)
    path.write_text("{")
    with pytest.raises(UserInputError, match="is not JSON"):
        api.read_batch(path)


def _capture(folder: Path) -> Path:
    conv = Conversation(client="10.20.120.11", server="10.20.125.13").handshake()
    store_association(conv)
    conv.close()
    return write_pcap(folder / "lab.pcap", conv.packets)


def _inventory_file(folder: Path) -> Path:
    path = folder / "inventory.csv"
    path.write_text(
        "id,site,name,type,ip_addresses,segment,services,ae_title\n"
        "CT-1,North,CT 1,ct,10.20.120.11,IMG,dicom:104,MODALITY1\n"
        "PACS-1,North,PACS,pacs,10.20.125.13,SRV,dicom:104,ARCHIVE1\n"
    )
    return path


def test_cli_analyze_then_assess_and_plan(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    expect(0, "init", db=db)
    expect(0, "import", "inventory", _inventory_file(tmp_path), db=db)
    ran = expect(0, "traffic", "analyze", _capture(tmp_path), db=db)
    assert "10.20.120.11 -> 10.20.125.13:104 dicom MODALITY1 -> ARCHIVE1" in ran.stdout
    assert "C-STORE 3" in ran.stdout
    assert "stored for site north" in ran.stderr
    flows = expect(0, "traffic", "flows", "--json", db=db)
    (row,) = json.loads(flows.stdout)
    assert row["site"] == "north" and row["requests"] == {"C-STORE": 3}
    expect(0, "assess", db=db)
    listed = expect(0, "findings", "list", "--check", CLEAR_IMAGES, "--format", "json", db=db)
    (finding,) = json.loads(listed.stdout)
    assert finding["subject_id"] == "PACS-1:dicom/104"
    plan = expect(0, "segmentation", "plan", "--format", "cisco", db=db)
    assert "permit tcp host 10.20.120.11 host 10.20.125.13 eq 104" in plan.stdout


def test_cli_site_worker_batch_then_apply(tmp_path: Path) -> None:
    batch_file = tmp_path / "out" / "batch.json"
    batch_file.parent.mkdir()
    ran = expect(0, "traffic", "analyze", _capture(tmp_path), "--batch-out", batch_file)
    assert "batch written" in ran.stderr
    assert CaptureBatch.from_json(json.loads(batch_file.read_text())).flows
    db = tmp_path / "iw.db"
    expect(0, "init", db=db)
    expect(0, "import", "inventory", _inventory_file(tmp_path), db=db)
    expect(0, "traffic", "apply", batch_file, "--site", "north", db=db)
    expect(2, "traffic", "apply", batch_file, "--site", "elsewhere", db=db)
    assert "1 flows" in expect(0, "traffic", "flows", db=db).stderr


def test_cli_refuses_bad_ports_and_empty_plans(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    expect(0, "init", db=db)
    ran = expect(2, "traffic", "analyze", _capture(tmp_path), "--dicom-port", "70000", db=db)
    assert "70000 is not a TCP port" in ran.stderr
    ran = expect(2, "segmentation", "plan", db=db)
    assert "no traffic has been analysed" in ran.stderr
