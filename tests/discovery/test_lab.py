"""Discovery against the demo lab's real pynetdicom SCPs: facts, gentleness, exclusions."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from imagewarden.discovery.interface import Profile, ServiceResult
from imagewarden.discovery.lab.personas import DEFAULT_PERSONAS, Persona, relocated
from imagewarden.discovery.lab.scope import lab_scope
from imagewarden.discovery.lab.server import Lab
from tests.discovery.conftest import discover, make_scope
from tests.discovery.peers import Listener

pytestmark = pytest.mark.integration  # real pynetdicom SCPs on loopback


@dataclass
class Running:
    """The lab on this module's own addresses (the demo and other tests may run at once)."""

    lab: Lab
    prefix: str
    promiscuous: Persona
    hardened: Persona
    tls_only: Persona
    old_modality: Persona
    personas: tuple[Persona, ...]

    def scope(self, profile: str = "safe", **extra: object) -> dict[str, object]:
        data = lab_scope(self.personas, profile=profile)
        data.update(extra)
        return data

    def reset(self) -> None:
        for usage in self.lab.usage.values():
            usage.peak = usage.total = 0


@pytest.fixture(scope="module")
def lab(net: Callable[[int], str]) -> Iterator[Running]:
    prefix = net(3)
    promiscuous, hardened, tls_only, old = relocated(DEFAULT_PERSONAS, prefix)
    # The promiscuous archive also listens on a second port, so "one association per host at a
    # time" is tested on a host with two services the scheduler could probe in parallel.
    second = Persona("promiscuous-archive-2", promiscuous.address, 4242, "OPEN2", False)
    personas = (promiscuous, hardened, tls_only, old, second)
    with Lab(personas) as running:
        yield Running(running, prefix, promiscuous, hardened, tls_only, old, personas)


def _by_address(results: list[ServiceResult]) -> dict[tuple[str, int], ServiceResult]:
    return {(r.target.host, r.target.port): r for r in results if r.open}


def _at(results: dict[tuple[str, int], ServiceResult], persona: Persona) -> ServiceResult:
    return results[(persona.address, persona.port)]


def test_safe_profile_finds_each_persona_weakness_and_none_on_the_hardened_one(
    lab: Running,
) -> None:
    results = _by_address(discover(make_scope(**lab.scope())))
    open_archive = _at(results, lab.promiscuous).facts
    assert open_archive["dicom.accepts_any_called_ae"] is True
    assert open_archive["dicom.accepts_unknown_calling_ae"] is True
    assert open_archive["dicom.accepts_storage"] is True
    assert open_archive["dicom.storage_classes"] == "CT,MR,US,DX,MG,SC"
    assert open_archive["dicom.accepts_query_find"] is True
    assert open_archive["service.tls"] is False
    assert str(open_archive["dicom.implementation_version"]).startswith("PYNETDICOM_")
    assert "dicom.anonymous_query" not in open_archive  # queries are opt-in

    hardened = _at(results, lab.hardened).facts
    assert hardened["dicom.association_outcome"] == "accepted"
    assert hardened["dicom.accepts_any_called_ae"] is False
    assert hardened["dicom.accepts_unknown_calling_ae"] is False

    tls = _at(results, lab.tls_only).facts
    assert tls["service.tls"] is True
    assert str(tls["tls.version"]).startswith("TLSv1.")
    assert tls["tls.cert_self_signed"] is True
    assert tls["dicom.accepts_any_called_ae"] is True

    old = _at(results, lab.old_modality).facts
    assert old["service.product"] == "OFFIS DCMTK"
    assert old["service.product_version"] == "3.6.0"
    assert old["service.product_outdated"] is True
    assert old["dicom.accepts_worklist"] is True
    assert old["dicom.accepts_query_find"] is False


def test_safe_profile_keeps_one_association_per_host(lab: Running) -> None:
    lab.reset()
    discover(make_scope(**lab.scope()))
    usage = lab.lab.usage
    assert usage[lab.promiscuous.address].total >= 6  # two services x three associations
    assert {address: u.peak for address, u in usage.items()} == dict.fromkeys(usage, 1)


def test_standard_profile_with_query_counts_studies_without_identifiers(lab: Running) -> None:
    results = _by_address(
        discover(make_scope(**lab.scope("standard")), Profile.STANDARD, allow_query=True)
    )
    open_archive = _at(results, lab.promiscuous).facts
    assert open_archive["dicom.echo_ok"] is True
    assert open_archive["dicom.anonymous_query"] is True
    assert open_archive["dicom.study_count"] == lab.promiscuous.find_matches
    assert open_archive["dicom.study_count_capped"] is False
    assert "dicom.anonymous_query" not in _at(results, lab.hardened).facts


def test_query_count_stops_at_the_limit_with_c_cancel(lab: Running) -> None:
    data = lab.scope("standard", limits={"max_query_matches": 2})
    results = _by_address(discover(make_scope(**data), Profile.STANDARD, allow_query=True))
    facts = _at(results, lab.promiscuous).facts
    assert facts["dicom.study_count"] == 2
    assert facts["dicom.study_count_capped"] is True


def test_ping_profile_sends_one_association_per_service(lab: Running) -> None:
    lab.reset()
    results = _by_address(discover(make_scope(**lab.scope("ping")), Profile.PING))
    assert lab.lab.usage[lab.hardened.address].total == 1
    assert lab.lab.usage[lab.promiscuous.address].total == 2  # two services
    assert _at(results, lab.promiscuous).facts["dicom.accepts_any_called_ae"] is True


def test_an_excluded_address_inside_an_allowed_network_is_never_contacted(lab: Running) -> None:
    excluded = f"{lab.prefix}.10"
    data = lab.scope(networks=[f"{lab.prefix}.8/29"], hosts=[], exclude=[excluded])
    with Listener(excluded, lab.promiscuous.port) as listener:
        results = discover(make_scope(**data))
    assert listener.connections == 0
    assert all(r.target.host != excluded for r in results)
    assert (lab.promiscuous.address, lab.promiscuous.port) in _by_address(results)


def test_stopping_the_lab_frees_every_address_and_refuses_new_connections(
    net: Callable[[int], str],
) -> None:
    # The lab stops its SCPs all at once; each one must still be fully shut down.
    prefix = net(41)
    personas = relocated(DEFAULT_PERSONAS, prefix)
    lab = Lab(personas)
    lab.start()
    lab.stop()
    for persona in personas:
        with socket.socket() as probe:
            assert probe.connect_ex((persona.address, persona.port)) != 0
        with socket.socket() as again:
            again.bind((persona.address, persona.port))
    lab.stop()  # stopping twice is harmless
