"""Feeding one direction's parser directly, for the fuzz tests and the atheris harness.

    python -m tests.traffic.fuzzing [atheris options, e.g. -max_total_time=60]

runs the PDU parser under atheris (coverage-guided) when it is installed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from imagewarden.traffic.dicom_ul import MAX_ASSOCIATE_PDU, MAX_COMMAND, DicomSniffer
from imagewarden.traffic.flows import Budget, Connection, Direction

BUDGET = 4 << 20


@dataclass
class _Position:
    file: str = "fuzz"
    pkt: int = 0


def parser() -> tuple[DicomSniffer, DicomSniffer, Connection, Budget]:
    """Sniffers for both directions of a fresh DICOM connection."""
    budget = Budget(BUDGET)
    conn = Connection(4, b"\x0a\0\0\x05", b"\x0a\0\0\x14", 40000, 104, 0.0, provisional=False)
    conn.c2s = Direction(conn, b"c2s", True, budget, 0.0)
    conn.s2c = Direction(conn, b"s2c", False, budget, 0.0)
    conn.kind = "dicom"
    position = _Position()
    client = DicomSniffer(conn, conn.c2s, budget, position)
    server = DicomSniffer(conn, conn.s2c, budget, position)
    conn.c2s.sniffer, conn.s2c.sniffer = client, server
    return client, server, conn, budget


def feed(
    direction: Direction, data: bytes, cuts: Sequence[int] = (), losses: Sequence[int] = ()
) -> None:
    """``data`` in segments cut at ``cuts``; segments whose index is in ``losses`` are lost."""
    points = sorted({c for c in cuts if 0 < c < len(data)})
    start = 0
    for index, stop in enumerate([*points, len(data)]):
        if index in losses:
            direction.gap(stop - start)
        else:
            direction.feed(data, start, stop)
        start = stop


def check_bounds(sniffers: Sequence[DicomSniffer]) -> None:
    """What the parser holds never exceeds its limits."""
    for sniffer in sniffers:
        assert len(sniffer.acc) <= MAX_ASSOCIATE_PDU + 16
        assert len(sniffer.cmd) <= MAX_COMMAND
        assert len(sniffer.conn.associations) <= 16


def one_input(data: bytes) -> None:
    """The atheris entry point: the first byte picks a split, the rest is the stream."""
    client, server, conn, budget = parser()
    if not data:
        return
    step = data[0] % 17 + 1
    body = data[1:]
    feed(conn.c2s, body, range(step, len(body), step))
    feed(conn.s2c, body[::-1], range(step, len(body), step))
    check_bounds((client, server))
    client.finish()
    server.finish()
    assert budget.left == BUDGET


def main() -> None:  # pragma: no cover - run by hand or by the optional atheris test
    import atheris  # type: ignore[import-not-found]

    atheris.instrument_all()
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    main()
