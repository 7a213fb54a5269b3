"""TCP connections and per-direction reassembly with bounded memory.

Each direction of a connection keeps the next sequence number it expects and a ``skip``
count: bytes its application parser does not need to see (the rest of a DICOM data set, an
encrypted stream). The decoder's fast path only compares ``seq == nxt`` and subtracts from
``skip``, so bulk data costs one dictionary lookup and a few integer operations per packet.

Everything else goes through ``Direction.segment``: retransmissions and overlaps are trimmed,
out-of-order segments wait (copied, within a per-direction and a global byte budget), holes
inside skipped data are stepped over at once, and a hole the parser needed is reported to it
as lost bytes (it resynchronises or gives up on that direction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from imagewarden.traffic.dicom_ul import Association

SEQ_MASK = 0xFFFFFFFF
HUGE = 1 << 62
"""A skip count that never runs out: the rest of the stream is not parsed."""
PENDING_BYTES_PER_DIRECTION = 1 << 20
PENDING_SEGMENTS_PER_DIRECTION = 1024


class Budget:
    """Bytes the analysis may hold in copies (out-of-order segments, headers being read).

    One budget is shared by every connection, so a capture crafted to open thousands of
    streams with holes cannot grow memory without bound: once it is spent, holes become gaps.
    """

    __slots__ = ("left", "refused")

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.refused = 0

    def take(self, n: int) -> bool:
        """Reserve ``n`` bytes; False (and counted) when the budget cannot hold them."""
        if n > self.left:
            self.refused += 1
            return False
        self.left -= n
        return True

    def give(self, n: int) -> None:
        """Return ``n`` reserved bytes."""
        self.left += n


class Sniffer(Protocol):
    """An application-layer parser of one direction of a connection."""

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Parse ``buf[start:end]``, the next bytes of the stream (never copied wholesale)."""
        ...

    def lost(self, n: int) -> None:
        """``n`` bytes of the stream are missing (not captured), outside any skip."""
        ...

    def finish(self) -> None:
        """The connection ended (or the capture did); release what is held."""
        ...


class Opaque:
    """A direction nobody parses: everything is skipped."""

    __slots__ = ("direction",)

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        direction.skip = HUGE

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Nothing to parse."""
        self.direction.skip = HUGE

    def lost(self, n: int) -> None:
        """Nothing lost that matters."""
        self.direction.skip = HUGE

    def finish(self) -> None:
        """Nothing held."""


class Direction:
    """One direction of a TCP connection: reassembly state and the parser of its bytes."""

    __slots__ = (
        "budget",
        "bytes",
        "conn",
        "fin",
        "from_client",
        "key",
        "last",
        "nxt",
        "pending",
        "pending_bytes",
        "pkts",
        "skip",
        "sniffer",
        "synced",
    )

    def __init__(
        self, conn: Connection, key: bytes, from_client: bool, budget: Budget, ts: float
    ) -> None:
        self.conn = conn
        self.key = key
        self.from_client = from_client
        self.budget = budget
        self.nxt = 0
        self.synced = False
        self.skip = 0
        self.bytes = 0
        self.pkts = 0
        self.last = ts
        self.fin = False
        self.pending: dict[int, tuple[bytes, int]] = {}
        self.pending_bytes = 0
        self.sniffer: Sniffer = Opaque(self)
        self.skip = 0

    def start_at(self, seq: int) -> None:
        """The stream's next byte has sequence number ``seq`` (from a SYN or a first segment)."""
        self.nxt = seq & SEQ_MASK
        self.synced = True

    def segment(self, buf: bytes, start: int, end: int, plen: int, seq: int) -> None:
        """A segment of ``plen`` payload bytes at ``seq``; ``buf[start:end]`` were captured."""
        self.bytes += plen
        if not self.synced:
            self.start_at(seq)
        self._place(buf, start, end, plen, seq)

    def _place(self, buf: bytes, start: int, end: int, plen: int, seq: int) -> None:
        delta = (seq - self.nxt) & SEQ_MASK
        if delta == 0:
            self._deliver(buf, start, end, plen)
        elif delta & 0x80000000:
            behind = SEQ_MASK + 1 - delta
            self.conn.retransmitted += 1
            if behind >= plen:
                return
            self._deliver(buf, min(start + behind, end), end, plen - behind)
        elif self.skip >= delta:
            # The hole lies inside bytes nobody reads: step over it now; if it is
            # retransmitted later, it arrives "behind" and is dropped.
            self.skip -= delta
            self.conn.skipped_hole_bytes += delta
            self.nxt = (self.nxt + delta) & SEQ_MASK
            self._deliver(buf, start, end, plen)
        else:
            self._hold(buf, start, end, plen, seq, delta)
            return
        if self.pending:
            self._drain()

    def _hold(self, buf: bytes, start: int, end: int, plen: int, seq: int, delta: int) -> None:
        """Keep an early segment until the hole before it fills, within the budgets."""
        if seq in self.pending:
            return  # a retransmission of a segment already waiting
        size = end - start
        if (
            self.pending_bytes + size <= PENDING_BYTES_PER_DIRECTION
            and len(self.pending) < PENDING_SEGMENTS_PER_DIRECTION
            and self.budget.take(size)
        ):
            self.pending[seq] = (buf[start:end], plen)
            self.pending_bytes += size
            return
        # No room: the hole before the earliest waiting segment will not be filled (the
        # capture missed it). Give it up, deliver what waits, then place this segment.
        if self.pending:
            self._skip_to_earliest()
            self._drain()
            self._place(buf, start, end, plen, seq)
        else:
            self.gap(delta)
            self._deliver(buf, start, end, plen)

    def _drain(self) -> None:
        """Deliver waiting segments that now continue the stream."""
        pending = self.pending
        while pending:
            item = pending.pop(self.nxt, None)
            behind = 0
            if item is None:
                for seq in pending:
                    if (seq - self.nxt) & 0x80000000:
                        behind = (self.nxt - seq) & SEQ_MASK
                        item = pending.pop(seq)
                        break
                if item is None:
                    if self.pending_bytes >= PENDING_BYTES_PER_DIRECTION or (
                        len(pending) >= PENDING_SEGMENTS_PER_DIRECTION
                    ):
                        self._skip_to_earliest()
                        continue
                    return
            data, plen = item
            self.pending_bytes -= len(data)
            self.budget.give(len(data))
            if behind >= plen:
                continue
            self._deliver(data, min(behind, len(data)), len(data), plen - behind)

    def _skip_to_earliest(self) -> None:
        """The budget is full and the hole never filled: jump to the earliest waiting byte."""
        earliest = min(self.pending, key=lambda s: (s - self.nxt) & SEQ_MASK)
        self.gap((earliest - self.nxt) & SEQ_MASK)

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Hand in-order bytes to the parser, minus what it asked to skip."""
        skip = self.skip
        if skip >= end - start:
            self.skip = skip - (end - start)
        else:
            self.sniffer.feed(buf, start, end)

    def _deliver(self, buf: bytes, start: int, end: int, plen: int) -> None:
        """In-order bytes: to the parser (captured part) and as lost bytes (the rest)."""
        captured = end - start
        if captured > plen:
            captured = plen
            end = start + plen
        if captured > 0:
            skip = self.skip
            if skip >= captured:
                self.skip = skip - captured
            else:
                self.sniffer.feed(buf, start, end)
        self.nxt = (self.nxt + plen) & SEQ_MASK
        if plen > captured:
            self.conn.truncated_bytes += plen - captured
            self._lose(plen - captured)

    def gap(self, n: int) -> None:
        """``n`` bytes from ``nxt`` are missing for good."""
        if n <= 0:
            return
        self.nxt = (self.nxt + n) & SEQ_MASK
        self._lose(n)

    def _lose(self, n: int) -> None:
        if self.skip >= n:
            self.skip -= n
            self.conn.skipped_hole_bytes += n
            return
        n -= self.skip
        self.skip = 0
        self.conn.lost_bytes += n
        self.sniffer.lost(n)

    def close(self) -> None:
        """The connection ends: waiting segments are delivered after their holes."""
        while self.pending:
            self._skip_to_earliest()
            self._drain()
        self.sniffer.finish()


class Connection:
    """A TCP connection: both directions, who is client, and what the parsers learned."""

    __slots__ = (
        "associations",
        "c2s",
        "client",
        "client_port",
        "closing",
        "family",
        "first",
        "hl7_to_client",
        "hl7_to_server",
        "http_other",
        "http_requests",
        "kind",
        "lost_bytes",
        "malformed",
        "notes",
        "provisional",
        "resyncs",
        "retransmitted",
        "s2c",
        "server",
        "server_port",
        "skipped_hole_bytes",
        "syn",
        "tls_alpn",
        "tls_cipher",
        "tls_offered",
        "tls_sni",
        "tls_version",
        "truncated_bytes",
    )

    def __init__(
        self,
        family: int,
        client: bytes,
        server: bytes,
        client_port: int,
        server_port: int,
        ts: float,
        provisional: bool,
    ) -> None:
        self.family = family
        self.client = client
        self.server = server
        self.client_port = client_port
        self.server_port = server_port
        self.first = ts
        self.provisional = provisional
        self.syn = False
        self.closing = False
        self.kind = ""
        """'' until classified; then dicom | tls | hl7 | http | other."""
        self.associations: list[Association] = []
        self.tls_version = ""
        self.tls_offered = ""
        self.tls_sni = ""
        self.tls_cipher = ""
        self.tls_alpn = ""
        self.hl7_to_server = 0
        self.hl7_to_client = 0
        self.http_requests: dict[tuple[str, str], int] = {}
        self.http_other = 0
        self.malformed = 0
        self.resyncs = 0
        self.lost_bytes = 0
        self.truncated_bytes = 0
        self.skipped_hole_bytes = 0
        self.retransmitted = 0
        self.notes: list[str] = []

    # c2s / s2c are set right after construction by the decoder.
    c2s: Direction
    s2c: Direction

    @property
    def last(self) -> float:
        """Time of the last packet in either direction."""
        return max(self.c2s.last, self.s2c.last)

    def note(self, text: str) -> None:
        """Remember an anomaly (at most a few per connection; never packet content)."""
        if len(self.notes) < 5:
            self.notes.append(text)

    def swap(self) -> None:
        """The side taken for the server turned out to be the client (a capture that started
        mid-connection): exchange the roles."""
        self.client, self.server = self.server, self.client
        self.client_port, self.server_port = self.server_port, self.client_port
        self.c2s, self.s2c = self.s2c, self.c2s
        self.c2s.from_client = True
        self.s2c.from_client = False
        self.provisional = False
