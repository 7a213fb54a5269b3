"""The decoding loop: link layer, IP, TCP, connection table, and the fast path for bulk data.

For the common packet (Ethernet, IPv4 without options, unfragmented TCP, an established
connection whose parser is skipping a data set) one ``struct`` call decodes every header
field needed, one slice of the buffer is the connection key, and the segment is accounted
with integer arithmetic. Everything else (VLAN tags, IPv6 and extension headers, Linux cooked
captures, raw IP, loopback, SYN/FIN/RST, segments the parser must read) takes the slower,
general path. Per-packet Python objects are never made.

The connection table is bounded: idle connections are finished after ``IDLE_SECONDS`` of
capture time, and when ``MAX_CONNECTIONS`` are open the least recently active ones are
finished early (counted as evicted).
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

from imagewarden.traffic.aggregate import FlowTable
from imagewarden.traffic.flows import Budget, Connection, Direction
from imagewarden.traffic.model import CaptureStats
from imagewarden.traffic.pcapfile import Handler
from imagewarden.traffic.protocols import Classifier

SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10
MAX_CONNECTIONS = 20_000
IDLE_SECONDS = 600.0
CLOSE_GRACE_SECONDS = 2.0
SWEEP_EVERY = 1 << 15
RECENT_CLOSED = 8192
BUFFER_BUDGET = 48 << 20
DEFAULT_DICOM_PORTS = frozenset({104, 11112, 4242, 2761, 2762})
SERVICE_PORTS = frozenset(
    {104, 11112, 4242, 2761, 2762, 2575, 80, 443, 8080, 8042, 8443, 22, 23, 21, 25, 3389,
     445, 5900, 1433, 5432, 3306, 389, 636, 88, 53, 123, 161}
)  # fmt: skip

# Ethernet + IPv4 (no options) + TCP, every field the fast path needs, in one unpack:
# ethertype, version/IHL, total length, flags/fragment offset, protocol, seq, data offset,
# TCP flags.
_ETH_IPV4_TCP = struct.Struct("!12xHBxH2xHxB2x8x4xI4xBB")
_IPV4 = struct.Struct("!BxH2xHxB2x4s4s")
_TCP = struct.Struct("!HHIIBB")
_U16 = struct.Struct("!H").unpack_from
_LE32 = struct.Struct("<I").unpack_from
_BE32 = struct.Struct(">I").unpack_from


@dataclass(frozen=True, slots=True)
class AnalyzeOptions:
    """Knobs of one analysis; the defaults suit any capture."""

    dicom_ports: frozenset[int] = DEFAULT_DICOM_PORTS
    """Server ports where a connection seen without its start is read as DICOM."""
    max_connections: int = MAX_CONNECTIONS
    max_flows: int = 50_000
    buffer_budget: int = BUFFER_BUDGET


class Analyzer:
    """Feeds packets to connections; the handlers are what ``read_capture`` calls."""

    def __init__(self, options: AnalyzeOptions = AnalyzeOptions()) -> None:
        self.options = options
        self.dicom_ports = options.dicom_ports
        self.dirs: dict[bytes, Direction] = {}
        self.conns: dict[bytes, Connection] = {}
        """Open connections by their client-to-server key, oldest first."""
        self.closing: list[Connection] = []
        self.recent: OrderedDict[bytes, None] = OrderedDict()
        self.budget = Budget(options.buffer_budget)
        self.table = FlowTable(options.max_flows)
        self.file = ""
        self.pkt = 0
        self.packets = 0
        self.bytes = 0
        self.tcp = 0
        self.other_ip = 0
        self.non_ip = 0
        self.fragments = 0
        self.bad = 0
        self.connections = 0
        self.evicted = 0
        self.late = 0
        self.now = 0.0
        self.next_sweep = SWEEP_EVERY

    # --- the reader's interface ---

    def begin_file(self, name: str) -> None:
        """Packet numbers in notes count from 1 in each file."""
        self.packets += self.pkt
        self.file = name
        self.pkt = 0
        self.next_sweep = SWEEP_EVERY

    def handler(self, linktype: int) -> Handler | None:
        """The per-packet function for ``linktype`` (None: not decoded)."""
        return {
            1: self.ethernet,
            113: self.linux_sll,
            276: self.linux_sll2,
            101: self.raw_ip,
            12: self.raw_ip,
            14: self.raw_ip,
            228: self.raw_ip,
            229: self.raw_ip,
            0: self.null,
            108: self.loop,
        }.get(linktype)

    # --- link layers ---

    def ethernet(self, buf: bytes, p: int, caplen: int, origlen: int, ts: float) -> None:
        """Ethernet II (with VLAN tags); the fast path lives here."""
        self.pkt += 1
        self.bytes += origlen
        if caplen >= 54:
            et, vihl, total, frag, proto, seq, doff, flags = _ETH_IPV4_TCP.unpack_from(buf, p)
            if et == 0x0800 and vihl == 0x45 and proto == 6 and not frag & 0x3FFF:
                thl = (doff >> 4) << 2
                plen = total - 20 - thl
                d = self.dirs.get(buf[p + 26 : p + 38])
                if d is not None and not flags & 7 and plen >= 0 and thl >= 20:
                    self.tcp += 1
                    d.last = ts
                    d.pkts += 1
                    if plen:
                        if seq == d.nxt and d.skip >= plen:
                            d.skip -= plen
                            d.nxt = (seq + plen) & 0xFFFFFFFF
                            d.bytes += plen
                        else:
                            start = p + 34 + thl
                            end = p + caplen
                            if end > start + plen:
                                end = start + plen
                            d.segment(buf, start, end if end > start else start, plen, seq)
                    if self.pkt >= self.next_sweep:
                        self.now = ts
                        self._sweep()
                    return
        end = p + caplen
        q = p + 12
        while q + 2 <= end:
            ethertype = _U16(buf, q)[0]
            if ethertype in (0x8100, 0x88A8, 0x9100):
                q += 4
                continue
            if ethertype in (0x0800, 0x86DD):
                self._ip(buf, q + 2, end, ts)
            else:
                self.non_ip += 1
            return
        self.bad += 1

    def linux_sll(self, buf: bytes, p: int, caplen: int, origlen: int, ts: float) -> None:
        """Linux cooked capture (``-i any``), version 1."""
        self.pkt += 1
        self.bytes += origlen
        if caplen < 16:
            self.bad += 1
            return
        if _U16(buf, p + 14)[0] in (0x0800, 0x86DD):
            self._ip(buf, p + 16, p + caplen, ts)
        else:
            self.non_ip += 1

    def linux_sll2(self, buf: bytes, p: int, caplen: int, origlen: int, ts: float) -> None:
        """Linux cooked capture, version 2."""
        self.pkt += 1
        self.bytes += origlen
        if caplen < 20:
            self.bad += 1
            return
        if _U16(buf, p)[0] in (0x0800, 0x86DD):
            self._ip(buf, p + 20, p + caplen, ts)
        else:
            self.non_ip += 1

    def raw_ip(self, buf: bytes, p: int, caplen: int, origlen: int, ts: float) -> None:
        """Raw IPv4 or IPv6 (the version nibble tells)."""
        self.pkt += 1
        self.bytes += origlen
        self._ip(buf, p, p + caplen, ts)

    def null(self, buf: bytes, p: int, caplen: int, origlen: int, ts: float) -> None:
        """BSD loopback: a 4-byte address family in the capturing host's byte order."""
        self._family(buf, p, caplen, origlen, ts)

    def loop(self, buf: bytes, p: int, caplen: int, origlen: int, ts: float) -> None:
        """OpenBSD loopback: the same, in network byte order."""
        self._family(buf, p, caplen, origlen, ts)

    def _family(self, buf: bytes, p: int, caplen: int, origlen: int, ts: float) -> None:
        self.pkt += 1
        self.bytes += origlen
        if caplen < 4:
            self.bad += 1
            return
        families = {_LE32(buf, p)[0], _BE32(buf, p)[0]}
        if families & {2, 24, 28, 30}:
            self._ip(buf, p + 4, p + caplen, ts)
        else:
            self.non_ip += 1

    # --- network and transport ---

    def _ip(self, buf: bytes, p: int, end: int, ts: float) -> None:
        if p >= end:
            self.bad += 1
            return
        version = buf[p] >> 4
        if version == 4:
            self._ipv4(buf, p, end, ts)
        elif version == 6:
            self._ipv6(buf, p, end, ts)
        else:
            self.bad += 1

    def _ipv4(self, buf: bytes, p: int, end: int, ts: float) -> None:
        if end - p < 20:
            self.bad += 1
            return
        vihl, total, frag, proto, src, dst = _IPV4.unpack_from(buf, p)
        ihl = (vihl & 15) << 2
        if ihl < 20 or total < ihl:
            self.bad += 1
            return
        if frag & 0x3FFF:
            self.fragments += 1
            return
        if proto != 6:
            self.other_ip += 1
            return
        self._tcp(4, src, dst, buf, p + ihl, end, total - ihl, ts)

    def _ipv6(self, buf: bytes, p: int, end: int, ts: float) -> None:
        if end - p < 40:
            self.bad += 1
            return
        payload = _U16(buf, p + 4)[0]
        header = buf[p + 6]
        src, dst = buf[p + 8 : p + 24], buf[p + 24 : p + 40]
        q = p + 40
        for _ in range(8):
            if header in (0, 43, 60):  # hop-by-hop, routing, destination options
                if q + 2 > end:
                    self.bad += 1
                    return
                size = (buf[q + 1] + 1) * 8
                header = buf[q]
                q += size
                payload -= size
            elif header == 44:  # fragment
                self.fragments += 1
                return
            else:
                break
        if header != 6:
            self.other_ip += 1
            return
        self._tcp(6, src, dst, buf, q, end, payload, ts)

    def _tcp(
        self,
        family: int,
        src: bytes,
        dst: bytes,
        buf: bytes,
        t: int,
        end: int,
        length: int,
        ts: float,
    ) -> None:
        """A TCP segment: ``length`` bytes of TCP from ``t`` (header included)."""
        if end - t < 20:
            self.bad += 1
            return
        sport, dport, seq, _ack, doff, flags = _TCP.unpack_from(buf, t)
        thl = (doff >> 4) << 2
        plen = length - thl
        if thl < 20 or plen < 0:
            self.bad += 1
            return
        self.tcp += 1
        ports = buf[t : t + 4]
        key = src + dst + ports
        d = self.dirs.get(key)
        if flags & SYN:
            start_seq = (seq + 1) & 0xFFFFFFFF
            if (
                d is not None
                and d.synced
                and d.nxt != start_seq
                and (d.bytes or d.fin or d.conn.closing)
            ):
                self._finish(d.conn)
                d = None
            if d is None:
                self.recent.pop(key, None)
                d = self._open(family, key, src, dst, sport, dport, flags, ts)
            if not d.bytes:
                d.start_at(start_seq)
            d.conn.syn = True
            seq = start_seq
        elif d is None:
            if key in self.recent:
                self.late += 1
                return
            if plen == 0:
                return
            d = self._open(family, key, src, dst, sport, dport, flags, ts)
        d.last = ts
        d.pkts += 1
        if plen:
            start = t + thl
            stop = min(end, start + plen)
            d.segment(buf, start, max(start, stop), plen, seq)
        if flags & (FIN | RST):
            conn = d.conn
            if flags & FIN:
                d.fin = True
            if (flags & RST or (conn.c2s.fin and conn.s2c.fin)) and not conn.closing:
                conn.closing = True
                self.closing.append(conn)
        if self.pkt >= self.next_sweep:
            self.now = ts
            self._sweep()

    # --- the connection table ---

    def _server_is_destination(self, sport: int, dport: int) -> bool:
        for ports in (self.dicom_ports, SERVICE_PORTS):
            if dport in ports and sport not in ports:
                return True
            if sport in ports and dport not in ports:
                return False
        if (dport < 1024) != (sport < 1024):
            return dport < 1024
        return dport <= sport

    def _open(
        self,
        family: int,
        key: bytes,
        src: bytes,
        dst: bytes,
        sport: int,
        dport: int,
        flags: int,
        ts: float,
    ) -> Direction:
        """A new connection from its first packet (``key`` is that packet's direction)."""
        if len(self.conns) >= self.options.max_connections:
            self.now = ts
            self._sweep(force=True)
        if flags & SYN:
            to_server = not flags & ACK
            provisional = False
        else:
            to_server = self._server_is_destination(sport, dport)
            provisional = True
        size = len(src)
        reverse = dst + src + key[2 * size + 2 : 2 * size + 4] + key[2 * size : 2 * size + 2]
        if to_server:
            conn = Connection(family, src, dst, sport, dport, ts, provisional)
            c2s_key, s2c_key = key, reverse
        else:
            conn = Connection(family, dst, src, dport, sport, ts, provisional)
            c2s_key, s2c_key = reverse, key
        budget = self.budget
        conn.c2s = Direction(conn, c2s_key, True, budget, ts)
        conn.s2c = Direction(conn, s2c_key, False, budget, ts)
        dicom_port = conn.server_port in self.dicom_ports
        for direction in (conn.c2s, conn.s2c):
            direction.sniffer = Classifier(conn, direction, budget, self, dicom_port)
        self.dirs[c2s_key] = conn.c2s
        self.dirs[s2c_key] = conn.s2c
        self.conns[c2s_key] = conn
        self.connections += 1
        return conn.c2s if to_server else conn.s2c

    def _finish(self, conn: Connection) -> None:
        """Fold a connection into the flows and forget it."""
        conn.closing = True
        for direction in (conn.c2s, conn.s2c):
            direction.close()
            if self.dirs.get(direction.key) is direction:
                del self.dirs[direction.key]
                self.recent[direction.key] = None
        self.conns.pop(conn.c2s.key, None)
        self.conns.pop(conn.s2c.key, None)
        while len(self.recent) > RECENT_CLOSED:
            self.recent.popitem(last=False)
        self.table.add(conn)

    def _sweep(self, force: bool = False) -> None:
        """Finish closed and idle connections; when the table is full, the least active."""
        self.next_sweep = self.pkt + SWEEP_EVERY
        now = self.now
        still = []
        for conn in self.closing:
            if conn.last < now - CLOSE_GRACE_SECONDS or force:
                if conn.c2s.key in self.conns or conn.s2c.key in self.conns:
                    self._finish(conn)
            else:
                still.append(conn)
        self.closing = still
        idle = [c for c in self.conns.values() if c.last < now - IDLE_SECONDS]
        for conn in idle:
            self._finish(conn)
        limit = self.options.max_connections
        if force and len(self.conns) >= limit:
            oldest = sorted(self.conns.values(), key=lambda c: c.last)[: max(1, limit // 8)]
            for conn in oldest:
                self.evicted += 1
                conn.note("tracking ended early: too many connections open at once")
                self._finish(conn)

    def finish(self) -> None:
        """The capture ended: every connection still open is finished."""
        self.packets += self.pkt
        self.pkt = 0
        for conn in list(self.conns.values()):
            self._finish(conn)
        self.closing = []

    def stats(self, undecoded_link: int) -> CaptureStats:
        """The counters, after ``finish``."""
        return CaptureStats(
            packets=self.packets,
            bytes=self.bytes,
            tcp_packets=self.tcp,
            other_ip_packets=self.other_ip,
            non_ip_packets=self.non_ip,
            fragments=self.fragments,
            malformed_headers=self.bad,
            undecoded_link_packets=undecoded_link,
            connections=self.connections,
            connections_without_data=self.table.without_data,
            connections_evicted=self.evicted,
            late_packets=self.late,
            budget_refusals=self.budget.refused,
            flows_not_kept=self.table.not_kept,
        )
