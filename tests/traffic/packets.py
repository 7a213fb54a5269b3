"""Crafted captures for tests: Ethernet/IPv4/TCP packets written as pcap or pcapng.

Real captures come from ``scenario`` (real peers); these are for what real peers never send:
segments out of order, lost, repeated, one byte long, cut by a snapshot length, PDUs that lie.
"""

from __future__ import annotations

import gzip
import ipaddress
import random
import struct
from dataclasses import dataclass, field
from pathlib import Path

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


@dataclass
class Packet:
    """One packet: its bytes on the wire (Ethernet frame) and when it was seen."""

    frame: bytes
    ts: float
    snaplen: int | None = None


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_frame(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    payload: bytes = b"",
    vlan: int | None = None,
) -> bytes:
    """An Ethernet II frame carrying IPv4 (or IPv6) and TCP."""
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    tcp = struct.pack(
        "!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0
    )
    if a.version == 4:
        total = 20 + len(tcp) + len(payload)
        header = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, 6, 0, a.packed, b.packed
        )
        header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
        ethertype, ip = 0x0800, header
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp) + len(payload), 6, 64, a.packed, b.packed)
        ethertype = 0x86DD
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    if vlan is not None:
        eth += struct.pack("!HH", 0x8100, vlan)
    eth += struct.pack("!H", ethertype)
    return eth + ip + tcp + payload


@dataclass
class Conversation:
    """A TCP connection being scripted: keeps both sequence numbers."""

    client: str = "10.1.0.5"
    server: str = "10.1.0.20"
    client_port: int = 40000
    server_port: int = 104
    packets: list[Packet] = field(default_factory=list)
    clock: float = 1_700_000_000.0
    client_seq: int = 1000
    server_seq: int = 5000
    vlan: int | None = None

    def _emit(
        self, from_client: bool, flags: int, payload: bytes = b"", seq: int | None = None
    ) -> None:
        self.clock += 0.001
        if from_client:
            frame = tcp_frame(
                self.client, self.server, self.client_port, self.server_port,
                self.client_seq if seq is None else seq, self.server_seq, flags, payload, self.vlan,
            )  # fmt: skip
        else:
            frame = tcp_frame(
                self.server, self.client, self.server_port, self.client_port,
                self.server_seq if seq is None else seq, self.client_seq, flags, payload, self.vlan,
            )  # fmt: skip
        self.packets.append(Packet(frame, self.clock))

    def handshake(self) -> Conversation:
        """SYN, SYN-ACK, ACK."""
        self._emit(True, SYN)
        self.client_seq += 1
        self._emit(False, SYN | ACK)
        self.server_seq += 1
        self._emit(True, ACK)
        return self

    def send(self, from_client: bool, data: bytes, segment: int = 1448) -> list[int]:
        """``data`` in segments of at most ``segment`` bytes; the packet indexes used."""
        used = []
        for start in range(0, len(data), segment):
            piece = data[start : start + segment]
            used.append(len(self.packets))
            self._emit(from_client, PSH | ACK, piece)
            if from_client:
                self.client_seq += len(piece)
            else:
                self.server_seq += len(piece)
        return used

    def close(self) -> Conversation:
        """FIN from both sides."""
        self._emit(True, FIN | ACK)
        self.client_seq += 1
        self._emit(False, FIN | ACK)
        self.server_seq += 1
        self._emit(True, ACK)
        return self


def write_pcap(
    path: Path,
    packets: list[Packet],
    *,
    endian: str = "<",
    nano: bool = False,
    linktype: int = 1,
    snaplen: int = 262144,
    compress: bool = False,
) -> Path:
    """Classic pcap (either byte order, micro- or nanosecond timestamps)."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = bytearray(struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
    for packet in packets:
        sec = int(packet.ts)
        frac = round((packet.ts - sec) * (1e9 if nano else 1e6))
        data = packet.frame[: packet.snaplen] if packet.snaplen else packet.frame
        out += struct.pack(endian + "IIII", sec, frac, len(data), len(packet.frame)) + data
    path.write_bytes(gzip.compress(bytes(out)) if compress else bytes(out))
    return path


def _block(endian: str, kind: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(endian + "II", kind, length) + body + struct.pack(endian + "I", length)


def write_pcapng(
    path: Path,
    packets: list[Packet],
    *,
    endian: str = "<",
    linktype: int = 1,
    tsresol: int | None = None,
    simple: bool = False,
) -> Path:
    """pcapng: a section, one interface, enhanced (or simple) packet blocks."""
    out = bytearray()
    out += _block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = b""
    scale = 1e6
    if tsresol is not None:
        options = struct.pack(endian + "HHB3x", 9, 1, tsresol) + struct.pack(endian + "HH", 0, 0)
        scale = 10.0**tsresol
    out += _block(endian, 1, struct.pack(endian + "HHI", linktype, 0, 262144) + options)
    for packet in packets:
        data = packet.frame[: packet.snaplen] if packet.snaplen else packet.frame
        if simple:
            out += _block(endian, 3, struct.pack(endian + "I", len(packet.frame)) + data)
            continue
        ticks = round(packet.ts * scale)
        body = struct.pack(
            endian + "IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(packet.frame)
        )
        out += _block(endian, 6, body + data)
    path.write_bytes(bytes(out))
    return path


def shuffled(packets: list[Packet], seed: int = 7, window: int = 4) -> list[Packet]:
    """Packets reordered within small windows (timestamps follow the new order)."""
    rng = random.Random(seed)
    result = list(packets)
    for start in range(0, len(result), window):
        chunk = result[start : start + window]
        rng.shuffle(chunk)
        result[start : start + window] = chunk
    times = sorted(p.ts for p in result)
    return [Packet(p.frame, t, p.snaplen) for p, t in zip(result, times, strict=True)]
