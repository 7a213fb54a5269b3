"""A peer that is not DICOM, aborts, sends a malformed answer or never answers: an observation,
no crash, and bounded time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextlib import ExitStack

from hypothesis import given, settings
from hypothesis import strategies as st

from imagewarden.discovery import merge, pdu
from imagewarden.discovery.interface import Profile
from imagewarden.model import ServiceProtocol
from tests.discovery import peers
from tests.discovery.conftest import collect, make_scope
from tests.discovery.peers import Listener

CASES = {
    31: (peers.http_reply, "not-dicom"),
    32: (peers.a_abort, "aborted"),
    33: (peers.short_ac, "not-dicom"),
    34: (peers.overrunning_ac, "not-dicom"),
    35: (peers.huge_pdu, "not-dicom"),
    36: (peers.silent, "no-answer"),
}


def test_misbehaving_peers_give_observations_not_crashes(net: Callable[[int], str]) -> None:
    cases = {f"{net(6)}.{n}": case for n, case in CASES.items()}
    closed = f"{net(6)}.37"  # nothing listens there
    scope = make_scope(hosts=[*cases, closed])
    with ExitStack() as stack:
        for address, (behaviour, _) in cases.items():
            stack.enter_context(Listener(address, 11112, behaviour))
        started = time.monotonic()
        batch = collect(scope, Profile.SAFE)
        elapsed = time.monotonic() - started
    by_host = {r.host: r for r in batch.results}
    for address, (_, outcome) in cases.items():
        result = by_host[address]
        assert result.found, address
        assert result.protocol is ServiceProtocol.OTHER, address
        assert result.facts["dicom.association_outcome"] == outcome, address
    assert not by_host[closed].found
    # Bounded: the silent peer costs one read timeout (1 s here), not a hang or retries.
    assert elapsed < 10
    changes = merge.plan(batch, [], None)
    outcomes = {
        o.value
        for b in changes.observations
        for o in b.observations
        if o.name == "dicom.association_outcome"
    }
    assert outcomes == {"not-dicom", "aborted", "no-answer"}


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
