"""A peer that is not DICOM, aborts, sends a malformed answer or never answers: an observation,
no crash, and bounded time."""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from imagewarden.discovery import merge, pdu
from imagewarden.discovery.interface import Profile
from imagewarden.discovery.lab.certs import self_signed
from imagewarden.model import ServiceProtocol
from tests.discovery import peers
from tests.discovery.conftest import collect, make_scope
from tests.discovery.peers import Listener

P = ServiceProtocol
# peer behaviour -> (outcome, protocol recorded, what the reason says)
CASES = {
    31: (peers.http_reply, "not-dicom", P.HTTP, "answered with HTTP"),
    32: (peers.a_abort, "aborted", P.OTHER,
         "A-ABORT from the service provider: reason not specified (source 2, reason 0)"),
    33: (peers.short_ac, "malformed", P.DICOM,
         "A-ASSOCIATE-AC body has 10 bytes, fewer than its 68 bytes of fixed fields"),
    34: (peers.overrunning_ac, "malformed", P.DICOM,
         "item 0x21 at byte 74 announces 500 bytes, only 1 remain in the PDU"),
    35: (peers.huge_pdu, "malformed", P.DICOM,
         "bytes 2-5 announce an A-ASSOCIATE-AC body of 2147483647 bytes, more than the "
         "1048576 discovery accepts"),
    36: (peers.silent, "no-answer", P.OTHER, None),
    38: (peers.truncated_body, "malformed", P.DICOM,
         "bytes 2-5 announce an A-ASSOCIATE-AC body of 100 bytes; the connection closed "
         "after 20"),
    39: (peers.truncated_header, "malformed", P.DICOM,
         "the PDU header ends after 3 of 6 bytes (the connection closed)"),
    40: (peers.banner, "not-dicom", P.OTHER, "byte 0 is 0x53, not a DICOM PDU type"),
    41: (peers.p_data_reply, "malformed", P.DICOM,
         "a P-DATA-TF (PDU type 0x04) is not an answer to an A-ASSOCIATE-RQ"),
    42: (peers.reject_calling, "rejected", P.DICOM,
         "rejected-permanent by the service user: calling AE title not recognised "
         "(result 1, source 1, reason 3)"),
}  # fmt: skip


def test_misbehaving_peers_give_observations_not_crashes(net: Callable[[int], str]) -> None:
    cases = {f"{net(6)}.{n}": case for n, case in CASES.items()}
    closed = f"{net(6)}.37"  # nothing listens there
    scope = make_scope(hosts=[*cases, closed])
    with ExitStack() as stack:
        for address, (behaviour, *_) in cases.items():
            stack.enter_context(Listener(address, 11112, behaviour))
        started = time.monotonic()
        batch = collect(scope, Profile.SAFE)
        elapsed = time.monotonic() - started
    by_host = {r.host: r for r in batch.results}
    for address, (_, outcome, protocol, reason) in cases.items():
        result = by_host[address]
        assert result.found, address
        assert (result.protocol, result.outcome) == (protocol, outcome), address
        assert result.facts["dicom.association_outcome"] == outcome, address
        assert result.facts.get("dicom.association_reason") == reason, address
    assert not by_host[closed].found
    # Bounded: the silent peer costs one read timeout (1 s here), not a hang or retries.
    assert elapsed < 10
    changes = merge.plan(batch, [], None)
    stored = {
        (o.subject_id.rsplit(":", 1)[1], o.value)
        for b in changes.observations
        for o in b.observations
        if o.name == "dicom.association_outcome"
    }
    assert ("http/11112", "not-dicom") in stored  # an HTTP answer is recorded as HTTP
    assert {value for _, value in stored} == {
        "not-dicom", "aborted", "no-answer", "malformed", "rejected"
    }  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=2, max_value=7), st.binary(max_size=400))
def test_decoder_raises_only_pdu_error_on_random_bytes(pdu_type: int, body: bytes) -> None:
    with contextlib.suppress(pdu.PduError):
        pdu.decode(pdu_type, body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_command_parser_never_raises(command: bytes) -> None:
    field, status = pdu.command_status(command)
    assert field is None or 0 <= field <= 0xFFFF
    assert status is None or 0 <= status <= 0xFFFF


def test_a_tls_alert_on_a_plain_dicom_port_is_tls_not_garbage(
    net: Callable[[int], str], tmp_path: Path
) -> None:
    address = f"{net(48)}.20"
    cert, key = self_signed(tmp_path, "tls-alert.lab", address)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with Listener(address, 11112, peers.tls_only_with_alert(context)):
        plain = collect(make_scope(hosts=[address]), Profile.PING)
        batch = collect(make_scope(hosts=[address]), Profile.SAFE)
    # Without a retry (ping), the answer is named for what it is, not as an unknown byte.
    [pinged] = plain.results
    assert pinged.outcome == "not-dicom"
    assert pinged.facts["dicom.association_reason"] == (
        "answered with a TLS alert (byte 0 is 0x15, a TLS alert record)"
    )
    # The safe profile retries over TLS, as for a port that drops the plain request.
    [result] = batch.results
    assert result.protocol is ServiceProtocol.DICOM
    assert result.outcome == "rejected"
    assert result.facts["service.tls"] is True
    assert result.facts["tls.cert_self_signed"] is True
    assert any("TLS alert" in note for note in result.notes)
    # After the alert the plain connection is closed: no A-ABORT in clear text follows.
    [alerted, *_] = [c for c in batch.connections if "TLS-ClientHello" not in c.sent]
    assert alerted.sent == ("A-ASSOCIATE-RQ(IMAGEWARDEN->ANY-SCP)",)


def test_an_https_server_on_a_dicom_tls_port_is_recorded_as_https(
    net: Callable[[int], str], tmp_path: Path
) -> None:
    address = f"{net(48)}.21"
    cert, key = self_signed(tmp_path, "web-on-2762.lab", address)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    scope = make_scope(
        hosts=[address],
        ports={"dicom": [], "dicom_tls": [12762], "http": [], "https": [], "hl7": []},
    )
    with Listener(address, 12762, peers.over_tls(context, peers.http_reply)):
        [result] = collect(scope, Profile.SAFE).results
    assert (result.protocol, result.outcome) == (ServiceProtocol.HTTPS, "not-dicom")
    assert result.facts["dicom.association_reason"] == "answered with HTTP"
    assert result.facts["service.tls"] is True
