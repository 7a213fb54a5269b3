"""Collect (no database) and apply (one audited transaction), and what a batch replaces."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from imagewarden.app import open_store
from imagewarden.discovery.batch import DiscoveryBatch
from imagewarden.discovery.interface import (
    Profile,
    ServiceResult,
    Target,
    TargetKind,
    TargetStatus,
)
from imagewarden.discovery.lab.personas import Persona
from imagewarden.discovery.lab.server import Lab
from imagewarden.model import (
    Observation,
    ObservationSource,
    Service,
    ServiceProtocol,
    SubjectKind,
    UserInputError,
)
from imagewarden.store import ObservationBatch, Store
from tests.discovery.conftest import collect, make_scope
from tests.discovery.helpers import apply_batch, batch_of
from tests.factories import asset, fact, inventory

HOST = "10.20.0.5"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def _dicom(port: int = 104, host: str = HOST, **facts: Any) -> ServiceResult:
    return ServiceResult(
        Target(host, port, TargetKind.DICOM),
        True,
        ServiceProtocol.DICOM,
        {"dicom.association_outcome": "accepted", "service.tls": False, **facts},
        outcome="accepted",
    )


def _probed(store: Store, subject: str) -> dict[str, object]:
    return {
        o.name: o.value
        for o in store.observations(source=ObservationSource.PROBED)
        if o.subject_id == subject
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path / 't.db'}", create=True)
    # An inventoried archive: its imported facts, and measured facts of another collector
    # (backup verification records its results with the same source, "probed").
    pacs = asset(
        "PACS-1",
        site="north",
        ip_addresses=(f"::ffff:{HOST}",),
        services=(Service(ServiceProtocol.DICOM, 104, tls=False, ae_title="PACS1",
                          internet_exposed=False),),
    )  # fmt: skip
    s.save_inventory(inventory(pacs, observations=(fact("PACS-1", "phi.stored", True),)))
    backup = (
        Observation(SubjectKind.ASSET, "PACS-1", "backup.integrity_problems", 3,
                    ObservationSource.PROBED, NOW, "imagewarden-resilience"),
        Observation(SubjectKind.SITE, "north", "site.recovery_hours_estimate", 30.0,
                    ObservationSource.PROBED, NOW, "imagewarden-resilience"),
    )  # fmt: skip
    s.apply_observations(ObservationBatch(ObservationSource.PROBED, backup))
    return s


@pytest.mark.integration
def test_collect_touches_no_database_and_the_batch_travels_as_json(
    net: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy

    def no_database(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("collect opened a database")

    monkeypatch.setattr(sqlalchemy, "create_engine", no_database)
    scp = Persona("open", f"{net(11)}.10", 11112, "OPEN", check_called_ae=False)
    with Lab((scp,)):
        batch = collect(make_scope(hosts=[scp.address]), Profile.STANDARD, allow_query=True)
    [result] = batch.results
    assert result.found and result.facts["dicom.anonymous_query"] is True
    assert batch.profile is Profile.STANDARD and batch.authorised_by == "test suite"
    assert len(batch.connections) == 3  # three associations, each logged
    again = DiscoveryBatch.from_json(batch.to_json())
    assert again == batch


def test_a_batch_from_elsewhere_may_hold_only_discovery_facts_of_their_types() -> None:
    batch = batch_of([_dicom(**{"tls.cert_expires": dt.date(2027, 1, 1)})])
    text = batch.to_json()
    assert DiscoveryBatch.from_json(text).results[0].facts["tls.cert_expires"] == dt.date(
        2027, 1, 1
    )
    data = json.loads(text)
    for facts_key, name, value in (
        ("asset_facts", "backup.integrity_problems", 0),  # another collector's fact
        ("facts", "phi.stored", False),  # an inventory fact
        ("facts", "dicom.accepts_unknown_calling_ae", "no"),  # wrong type
        ("facts", "dicom.association_outcome", "hijacked"),  # not one of the choices
    ):
        tampered = json.loads(text)
        tampered["results"][0][facts_key] = {name: value}
        with pytest.raises(UserInputError, match=r"results\.0\."):
            DiscoveryBatch.from_json(json.dumps(tampered))
    data["site"] = "../../etc"
    with pytest.raises(UserInputError, match="site"):
        DiscoveryBatch.from_json(json.dumps(data))


def test_apply_writes_one_audit_entry_and_applying_again_changes_nothing(store: Store) -> None:
    batch = batch_of([_dicom(**{"dicom.accepts_unknown_calling_ae": True}), _dicom(11112)])
    first = apply_batch(store, batch)
    assets, observations = store.assets(), store.observations()
    second = apply_batch(store, batch)
    assert (first.services_found, first.assets_added, first.assets_updated) == (2, (), 1)
    assert second.observations == first.observations
    assert store.assets() == assets
    assert sorted(map(repr, store.observations())) == sorted(map(repr, observations))
    entries = store.audit_entries(action="discovery.apply")
    assert len(entries) == 2 and entries[0].actor == "test suite"
    assert entries[0].after is not None
    assert entries[0].after["batch_id"] == "test-batch"
    assert entries[0].after["services_found"] == 2
    assert store.verify_audit().intact


def test_applying_discovery_never_wipes_facts_other_collectors_recorded(store: Store) -> None:
    apply_batch(store, batch_of([_dicom(**{"dicom.accepts_unknown_calling_ae": True})]))
    probed_asset = _probed(store, "PACS-1")
    assert probed_asset == {"backup.integrity_problems": 3}  # backup verification's fact stays
    assert _probed(store, "north") == {"site.recovery_hours_estimate": 30.0}
    imported = store.observations(source=ObservationSource.IMPORTED)
    assert [(o.subject_id, o.name) for o in imported] == [("PACS-1", "phi.stored")]
    service = _probed(store, "PACS-1:dicom/104")
    assert service["dicom.accepts_unknown_calling_ae"] is True


def test_a_run_replaces_only_what_its_profile_measured(store: Store) -> None:
    safe = _dicom(**{"dicom.accepts_unknown_calling_ae": True, "dicom.accepts_storage": True})
    apply_batch(store, batch_of([safe]))
    ping = _dicom(**{"dicom.association_outcome": "rejected"})
    apply_batch(store, batch_of([ping], profile=Profile.PING))
    facts = _probed(store, "PACS-1:dicom/104")
    assert facts["dicom.association_outcome"] == "rejected"  # measured again: replaced
    assert facts["dicom.accepts_unknown_calling_ae"] is True  # not measured by ping: kept
    assert facts["dicom.accepts_storage"] is True
    # The safe profile measures negotiation: what it no longer sees becomes unknown.
    apply_batch(store, batch_of([_dicom()]))
    assert "dicom.accepts_unknown_calling_ae" not in _probed(store, "PACS-1:dicom/104")


def test_a_port_found_closed_loses_its_probed_facts_and_keeps_its_service(store: Store) -> None:
    apply_batch(store, batch_of([_dicom(**{"dicom.accepts_unknown_calling_ae": True})]))
    closed = ServiceResult.closed(Target(HOST, 104, TargetKind.DICOM))
    failed = ServiceResult(
        Target(HOST, 11112, TargetKind.DICOM), True, None, status=TargetStatus.FAILED
    )
    summary = apply_batch(store, batch_of([closed, failed]))
    assert summary.services_found == 0
    assert _probed(store, "PACS-1:dicom/104") == {}
    [pacs] = [a for a in store.assets() if a.id == "PACS-1"]
    assert [(s.protocol, s.port) for s in pacs.services] == [(ServiceProtocol.DICOM, 104)]


def test_a_known_service_keeps_what_the_inventory_declared(store: Store) -> None:
    apply_batch(store, batch_of([_dicom(**{"service.tls": False})]))
    [pacs] = [a for a in store.assets() if a.id == "PACS-1"]
    [service] = pacs.services
    assert service.ae_title == "PACS1" and service.internet_exposed is False
    assert pacs.managed is True and pacs.site_id == "north"


def test_unknown_hosts_become_unmanaged_assets_only_when_something_answers(
    store: Store,
) -> None:
    found = _dicom(host="10.20.0.9")
    nothing = ServiceResult.closed(Target("10.20.0.10", 104, TargetKind.DICOM))
    refused = ServiceResult(
        Target("10.20.0.11", 104, TargetKind.DICOM),
        False,
        None,
        status=TargetStatus.NOT_CONTACTED,
    )
    summary = apply_batch(store, batch_of([found, nothing, refused]))
    assert summary.assets_added == ("discovered-10-20-0-9",)
    added = {a.id: a for a in store.assets()}["discovered-10-20-0-9"]
    assert added.managed is False and added.site_id == "lab"
    assert [s.id for s in store.sites()] == ["lab", "north"]
    assert summary.subjects[("10.20.0.9", 104)].service_key == "discovered-10-20-0-9:dicom/104"
