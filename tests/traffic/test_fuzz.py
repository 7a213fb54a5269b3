"""Fuzzing the DICOM PDU parser: no crash, no hang, bounded memory, split-independence."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.traffic import pdus
from tests.traffic.fuzzing import BUDGET, check_bounds, feed, one_input, parser

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _conversation() -> tuple[bytes, bytes]:
    client = pdus.associate_rq(
        "FUZZSCU", "FUZZSCP", [(1, pdus.CT_STORAGE), (3, pdus.STUDY_MOVE)],
        user_identity=(2, b"user", b"pass"),
    )  # fmt: skip
    server = pdus.associate_ac("FUZZSCU", "FUZZSCP", [(1, 0), (3, 0)])
    store, answer = pdus.store_exchange(1, bytes(range(256)) * 70, 1)
    client += b"".join(store)
    server += b"".join(answer)
    client += pdus.p_data((3, 3, pdus.command(0x0021, pdus.STUDY_MOVE, 2, data_set=True,
                                              move_destination="ELSEWHERE")))  # fmt: skip
    client += pdus.release_rq()
    server += pdus.release_rp()
    return client, server


CLIENT, SERVER = _conversation()


def _facts(cuts_client: list[int], cuts_server: list[int]) -> tuple[object, ...]:
    client, server, conn, budget = parser()
    feed(conn.c2s, CLIENT, cuts_client)
    feed(conn.s2c, SERVER, cuts_server)
    check_bounds((client, server))
    client.finish()
    server.finish()
    assert budget.left == BUDGET
    (assoc,) = conn.associations
    return (
        assoc.calling, assoc.called, assoc.outcome, assoc.ending,
        assoc.requests_by_client, assoc.responses, sorted(assoc.move_destinations),
        assoc.data_bytes_to_server, assoc.user_identity, conn.malformed,
    )  # fmt: skip


REFERENCE = _facts([], [])


def test_reference_conversation_is_read() -> None:
    assert REFERENCE == (
        "FUZZSCU", "FUZZSCP", "accepted", "released", {"C-STORE": 1, "C-MOVE": 1},
        {("C-STORE", "success"): 1}, ["ELSEWHERE"], 256 * 70, "username-and-passcode", 0,
    )  # fmt: skip


@FUZZ
@given(
    st.lists(st.integers(1, len(CLIENT) - 1), max_size=60),
    st.lists(st.integers(1, len(SERVER) - 1), max_size=20),
)
def test_any_split_of_the_stream_gives_the_same_facts(
    cuts_client: list[int], cuts_server: list[int]
) -> None:
    assert _facts(cuts_client, cuts_server) == REFERENCE


@FUZZ
@given(st.binary(max_size=4096), st.lists(st.integers(1, 4095), max_size=30))
def test_random_bytes_never_crash(data: bytes, cuts: list[int]) -> None:
    client, server, conn, budget = parser()
    feed(conn.c2s, data, cuts)
    feed(conn.s2c, data, cuts[::-1])
    check_bounds((client, server))
    client.finish()
    server.finish()
    assert budget.left == BUDGET


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, len(CLIENT) - 1), st.integers(0, 255)), max_size=12),
    st.integers(0, len(CLIENT)),
    st.lists(st.integers(1, len(CLIENT) - 1), max_size=40),
    st.sets(st.integers(0, 40), max_size=3),
)
def test_mutated_and_lossy_conversations_never_crash(
    flips: list[tuple[int, int]], cut: int, cuts: list[int], losses: set[int]
) -> None:
    data = bytearray(CLIENT[:cut] if cut else CLIENT)
    for position, value in flips:
        if position < len(data):
            data[position] = value
    client, server, conn, budget = parser()
    feed(conn.c2s, bytes(data), cuts, sorted(losses))
    feed(conn.s2c, SERVER, cuts[:5])
    check_bounds((client, server))
    client.finish()
    server.finish()
    assert budget.left == BUDGET


def test_the_atheris_entry_point_handles_the_seed_corpus() -> None:
    for data in (b"", CLIENT, SERVER, b"\x07" + CLIENT[:200], bytes(300)):
        one_input(data)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
def test_atheris_finds_nothing_in_a_short_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index, seed in enumerate((CLIENT, SERVER, CLIENT[:300])):
        (corpus / f"seed{index}").write_bytes(b"\x05" + seed)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.traffic.fuzzing", "-runs=20000", "-max_total_time=10",
         "-max_len=4096",
         "-rss_limit_mb=1024", str(corpus)],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
