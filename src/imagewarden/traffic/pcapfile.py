"""A lean pcap and pcapng reader: big buffered reads, ``struct`` over the buffer, no objects.

The reader frames records and hands each packet to a handler as ``(buffer, offset, captured
length, original length, timestamp)``: the packet's bytes stay in the read buffer, nothing is
copied except a record that straddles two reads. One handler per link type comes from the
caller (``LinkHandlers``), so the framing loop and the decoding loop share no per-packet
object. Classic pcap (either byte order, micro- or nanosecond timestamps), pcapng (sections of
either byte order, enhanced, simple and obsolete packet blocks, per-interface timestamp
resolution and offset) and gzip-compressed files of both (tcpdump ``-z gzip``) are read.

A damaged file is refused with a ``CaptureFileError`` (a ``UserInputError``, exit code 2) that
names the file and the packet number, in the same words Wireshark counts frames.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from imagewarden.model import Location, UserInputError

CHUNK = 8 << 20
"""Bytes per read. Large reads amortise the system calls; memory stays at a few chunks."""
MAX_CAPTURED = 256 * 1024
"""Largest packet a capture can hold (libpcap's maximum snapshot length)."""
MAX_BLOCK = 16 << 20
"""Largest pcapng block accepted (a name resolution or custom block may exceed a packet)."""

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
GZIP_MAGIC = b"\x1f\x8b"

Handler = Callable[[bytes, int, int, int, float], None]
"""Called once per packet: buffer, offset of the link-layer header, captured length, length
on the wire, timestamp (seconds since the epoch)."""


class LinkHandlers(Protocol):
    """What the reader feeds: one handler per link-layer type, and the file being read."""

    def handler(self, linktype: int) -> Handler | None:
        """The handler for ``linktype``; None when that link type is not decoded."""
        ...

    def begin_file(self, name: str) -> None:
        """A new file starts: packet numbers count from 1 again."""
        ...


class CaptureFileError(UserInputError):
    """A capture file that cannot be read: wrong format, cut short, or a damaged record."""


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What reading one file found (framing only; the handlers keep the facts)."""

    name: str
    format: str
    """pcap | pcapng (with ``.gz`` when compressed)."""
    packets: int
    bytes: int
    """Bytes of the file read (compressed size for a gzip file)."""
    first_ts: float | None
    last_ts: float | None
    linktypes: tuple[int, ...]
    undecoded_packets: int
    """Packets of a link type the handlers do not decode."""


def _error(path: Path, message: str, packet: int | None = None) -> CaptureFileError:
    where = f"packet {packet}: " if packet is not None else ""
    return CaptureFileError(f"{where}{message}", Location(str(path)))


def _open(path: Path) -> tuple[BinaryIO, bool]:
    """The file, unbuffered (our reads are large), or a gzip stream over it."""
    try:
        raw = path.open("rb", buffering=0)
    except OSError as exc:
        raise _error(path, f"cannot be read ({exc.strerror or exc})") from None
    head = raw.read(2)
    raw.seek(0)
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), True  # type: ignore[return-value]
    return raw, False


def _fill(tail: bytes, stream: BinaryIO, size: int) -> bytes:
    """``tail`` extended from ``stream`` to ``size`` bytes (shorter only at end of file)."""
    while len(tail) < size:
        more = stream.read(size - len(tail))
        if not more:
            break
        tail += more
    return tail


def _read(stream: BinaryIO, path: Path, size: int) -> bytes:
    try:
        return stream.read(size)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise _error(path, f"cannot be read ({exc})") from None


def first_timestamp(path: Path) -> float | None:
    """The timestamp of the first packet (to order rotated files); None if there is none.

    Raises ``CaptureFileError`` when the file is not a capture at all.
    """
    stream, _ = _open(path)
    with stream:
        head = _read(stream, path, 4096)
        if head[:4] in PCAP_MAGICS:
            endian, scale = PCAP_MAGICS[head[:4]]
            if len(head) < 40:
                return None
            sec, frac = struct.unpack_from(endian + "II", head, 24)
            return float(sec + frac * scale)
        if head[:4] == PCAPNG_MAGIC:
            return _pcapng_first(stream, path, head)
        raise _not_a_capture(path, head)


def _pcapng_first(stream: BinaryIO, path: Path, head: bytes) -> float | None:
    """Walk pcapng blocks until the first packet block; its timestamp."""
    reader = _PcapngReader(path, stream, None, lambda _n: None)
    return reader.first_timestamp(head)


def _not_a_capture(path: Path, head: bytes) -> CaptureFileError:
    if not head:
        return _error(path, "is empty: not a pcap or pcapng capture")
    return _error(
        path,
        "is not a pcap or pcapng capture (unknown magic number "
        f"0x{head[:4].hex()}); save it from Wireshark, tcpdump or dumpcap as pcap or pcapng",
    )


def read_capture(
    path: Path, sink: LinkHandlers, progress: Callable[[int], None] = lambda _n: None
) -> FileSummary:
    """Frame every packet of ``path`` and hand it to ``sink``'s handler for its link type.

    ``progress`` is called with the number of file bytes consumed, once per read.
    """
    stream, compressed = _open(path)
    with stream:
        head = _read(stream, path, 4)
        stream.seek(0)
        sink.begin_file(path.name)
        if head in PCAP_MAGICS:
            summary = _PcapReader(path, stream, sink, progress).run()
        elif head == PCAPNG_MAGIC:
            summary = _PcapngReader(path, stream, sink, progress).run()
        else:
            raise _not_a_capture(path, head)
    if compressed:
        return FileSummary(
            summary.name,
            summary.format + ".gz",
            summary.packets,
            path.stat().st_size,
            summary.first_ts,
            summary.last_ts,
            summary.linktypes,
            summary.undecoded_packets,
        )
    return summary


def _skip_packet(_buf: bytes, _p: int, _cap: int, _orig: int, _ts: float) -> None:
    """The handler for packets of a link type nobody decodes."""


class _PcapReader:
    """Classic libpcap files: a 24-byte header, then 16-byte record headers."""

    def __init__(
        self, path: Path, stream: BinaryIO, sink: LinkHandlers, progress: Callable[[int], None]
    ) -> None:
        self.path = path
        self.stream = stream
        self.sink = sink
        self.progress = progress

    def run(self) -> FileSummary:
        path, stream = self.path, self.stream
        header = _fill(b"", stream, 24)
        if len(header) < 24:
            raise _error(path, "is cut short in its file header")
        endian, scale = PCAP_MAGICS[header[:4]]
        linktype = struct.unpack_from(endian + "I", header, 20)[0] & 0x0FFFFFFF
        handler = self.sink.handler(linktype)
        undecoded = handler is None
        handle: Handler = handler or _skip_packet
        record = struct.Struct(endian + "IIII").unpack_from
        self.progress(24)
        packets = 0
        first_ts: float | None = None
        ts = 0.0
        buf = _read(stream, path, CHUNK)
        self.progress(len(buf))
        off = 0
        while True:
            end = len(buf)
            if off + 16 <= end:
                sec, frac, caplen, origlen = record(buf, off)
                nxt = off + 16 + caplen
                if nxt <= end:
                    packets += 1
                    if caplen > MAX_CAPTURED:
                        raise _error(path, _too_long(caplen), packets)
                    ts = sec + frac * scale
                    if first_ts is None:
                        first_ts = ts
                    handle(buf, off + 16, caplen, origlen, ts)
                    off = nxt
                    continue
            # The next record straddles two reads (or the file ends here).
            tail = buf[off:]
            if tail:
                tail = _fill(tail, stream, 16)
                if len(tail) < 16:
                    raise _error(path, _CUT_SHORT, packets + 1)
                sec, frac, caplen, origlen = record(tail, 0)
                if caplen > MAX_CAPTURED:
                    raise _error(path, _too_long(caplen), packets + 1)
                tail = _fill(tail, stream, 16 + caplen)
                if len(tail) < 16 + caplen:
                    raise _error(path, _CUT_SHORT, packets + 1)
                self.progress(len(tail) - (end - off))
                packets += 1
                ts = sec + frac * scale
                if first_ts is None:
                    first_ts = ts
                handle(tail, 16, caplen, origlen, ts)
            buf = _read(stream, path, CHUNK)
            off = 0
            if not buf:
                break
            self.progress(len(buf))
        return FileSummary(
            self.path.name,
            "pcap",
            packets,
            self.path.stat().st_size,
            first_ts,
            ts if packets else None,
            (linktype,),
            packets if undecoded else 0,
        )


_CUT_SHORT = (
    "the capture is cut short in the middle of this packet (the capturing program was "
    "stopped abruptly, or the copy is incomplete)"
)


def _too_long(caplen: int) -> str:
    return (
        f"record claims {caplen} captured bytes, more than any capture holds "
        f"({MAX_CAPTURED}); the file is damaged"
    )


@dataclass(slots=True)
class _Interface:
    linktype: int
    handler: Handler
    scale: float
    offset: float
    decoded: bool


class _PcapngReader:
    """pcapng: sections of blocks; packets are enhanced (6), simple (3) or obsolete (2) blocks."""

    def __init__(
        self,
        path: Path,
        stream: BinaryIO,
        sink: LinkHandlers | None,
        progress: Callable[[int], None],
    ) -> None:
        self.path = path
        self.stream = stream
        self.sink = sink
        self.progress = progress
        self.interfaces: list[_Interface] = []
        self.endian = "<"
        self.packets = 0
        self.undecoded = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None
        self.linktypes: list[int] = []

    # --- blocks other than packets (rare: parsed with plain struct calls) ---

    def _section(self, block: bytes, at: int) -> None:
        magic = block[at + 8 : at + 12]
        if magic == b"\x4d\x3c\x2b\x1a":
            self.endian = "<"
        elif magic == b"\x1a\x2b\x3c\x4d":
            self.endian = ">"
        else:
            raise _error(self.path, "pcapng section header has no valid byte-order magic")
        self.interfaces = []

    def _interface(self, block: bytes, at: int, length: int) -> None:
        e = self.endian
        linktype = struct.unpack_from(e + "H", block, at + 8)[0]
        scale, offset = 1e-6, 0.0
        pos, end = at + 16, at + length - 4
        while pos + 4 <= end:
            code, size = struct.unpack_from(e + "HH", block, pos)
            value = pos + 4
            if code == 0:
                break
            if code == 9 and size >= 1 and value < end:  # if_tsresol
                resol = block[value]
                scale = 2.0 ** -(resol & 0x7F) if resol & 0x80 else 10.0**-resol
            elif code == 14 and size == 8 and value + 8 <= end:  # if_tsoffset
                offset = float(struct.unpack_from(e + "q", block, value)[0])
            pos = value + ((size + 3) & ~3)
        handler = self.sink.handler(linktype) if self.sink is not None else None
        self.interfaces.append(
            _Interface(linktype, handler or _skip_packet, scale, offset, handler is not None)
        )
        if linktype not in self.linktypes:
            self.linktypes.append(linktype)

    def _iface(self, index: int) -> _Interface:
        if index >= len(self.interfaces):
            raise _error(
                self.path,
                f"refers to interface {index}, which the file never described",
                self.packets,
            )
        return self.interfaces[index]

    def _packet_block(self, buf: bytes, at: int, btype: int, blen: int) -> float | None:
        """Frame one packet block (slow path: any packet block type, any byte order)."""
        e = self.endian
        self.packets += 1
        if btype == 6:
            if blen < 32:
                raise _error(self.path, "enhanced packet block is too short", self.packets)
            index, high, low, caplen, origlen = struct.unpack_from(e + "IIIII", buf, at + 8)
            data = at + 28
        elif btype == 3:
            if blen < 16:
                raise _error(self.path, "simple packet block is too short", self.packets)
            index, high, low = 0, 0, 0
            origlen = struct.unpack_from(e + "I", buf, at + 8)[0]
            caplen = min(origlen, blen - 16)
            data = at + 12
        else:
            if blen < 32:
                raise _error(self.path, "packet block is too short", self.packets)
            index, _drops, high, low, caplen, origlen = struct.unpack_from(
                e + "HHIIII", buf, at + 8
            )
            data = at + 28
        if data + caplen > at + blen - 4 or caplen > MAX_CAPTURED:
            raise _error(
                self.path,
                f"packet claims {caplen} captured bytes but its block holds fewer; "
                "the file is damaged",
                self.packets,
            )
        iface = self._iface(index)
        ts = ((high << 32) | low) * iface.scale + iface.offset if btype != 3 else None
        if not iface.decoded:
            self.undecoded += 1
        iface.handler(buf, data, caplen, origlen, ts if ts is not None else self.last_ts or 0.0)
        return ts

    def _block(self, buf: bytes, at: int, btype: int, blen: int) -> None:
        if btype in (6, 3, 2):
            ts = self._packet_block(buf, at, btype, blen)
            if ts is not None:
                if self.first_ts is None:
                    self.first_ts = ts
                self.last_ts = ts
        elif btype == 1:
            if blen < 20:
                raise _error(self.path, "interface description block is too short")
            self._interface(buf, at, blen)

    def _check_length(self, blen: int, btype: int) -> None:
        if blen < 12 or blen % 4 or blen > MAX_BLOCK:
            packet = self.packets + 1 if btype in (2, 3, 6) else None
            raise _error(
                self.path,
                f"pcapng block of type {btype:#x} has an impossible length {blen}; "
                "the file is damaged",
                packet,
            )

    def _header_of(self, buf: bytes, at: int) -> tuple[int, int]:
        """Block type and length at ``at`` (a section header fixes the byte order first)."""
        if buf[at : at + 4] == PCAPNG_MAGIC:
            self._section(buf, at)
        btype, blen = struct.unpack_from(self.endian + "II", buf, at)
        self._check_length(blen, btype)
        return btype, blen

    def first_timestamp(self, head: bytes) -> float | None:
        """Timestamp of the first packet, reading no further than needed."""
        buf, off = head, 0
        while True:
            if len(buf) - off < 12:
                buf = _fill(buf[off:], self.stream, 12)
                off = 0
                if len(buf) < 12:
                    return None
            btype, blen = self._header_of(buf, off)
            if len(buf) - off < blen:
                buf = _fill(buf[off:], self.stream, blen)
                off = 0
                if len(buf) < blen:
                    return None
            if btype == 1:
                self._interface(buf, off, blen)
            elif btype in (6, 2):
                index, high, low = struct.unpack_from(
                    self.endian + ("III" if btype == 6 else "HxxII"), buf, off + 8
                )
                iface = self._iface(index)
                return float(((high << 32) | low) * iface.scale + iface.offset)
            off += blen

    def run(self) -> FileSummary:
        path, stream = self.path, self.stream
        buf = _read(stream, path, CHUNK)
        self.progress(len(buf))
        if len(buf) < 28:
            raise _error(path, "is cut short in its section header")
        off = 0
        # The hot loop: little-endian enhanced packet blocks, framed with one unpack each.
        epb = struct.Struct("<IIIIIII").unpack_from
        interfaces = self.interfaces
        little = True
        packets = 0
        first_ts: float | None = None
        last_ts: float | None = None
        while True:
            end = len(buf)
            if off + 28 <= end:
                btype, blen, index, high, low, caplen, origlen = epb(buf, off)
                if (
                    btype == 6
                    and little
                    and off + blen <= end
                    and index < len(interfaces)
                    and 32 <= blen <= MAX_BLOCK
                    and 28 + caplen <= blen - 4
                ):
                    packets += 1
                    iface = interfaces[index]
                    ts = ((high << 32) | low) * iface.scale + iface.offset
                    if first_ts is None:
                        first_ts = ts
                    last_ts = ts
                    if not iface.decoded:
                        self.undecoded += 1
                    iface.handler(buf, off + 28, caplen, origlen, ts)
                    off += blen
                    continue
            if off + 12 <= end:
                self.packets, self.first_ts, self.last_ts = packets, first_ts, last_ts
                btype, blen = self._header_of(buf, off)
                if off + blen <= end:
                    self._block(buf, off, btype, blen)
                    packets, first_ts, last_ts = self.packets, self.first_ts, self.last_ts
                    interfaces, little = self.interfaces, self.endian == "<"
                    off += blen
                    continue
            # The next block straddles two reads (or the file ends here).
            self.packets, self.first_ts, self.last_ts = packets, first_ts, last_ts
            tail = buf[off:]
            if tail:
                self._straddling(tail, end - off)
                packets, first_ts, last_ts = self.packets, self.first_ts, self.last_ts
                interfaces, little = self.interfaces, self.endian == "<"
            buf = _read(stream, path, CHUNK)
            off = 0
            if not buf:
                break
            self.progress(len(buf))
        self.packets, self.first_ts, self.last_ts = packets, first_ts, last_ts
        return FileSummary(
            path.name,
            "pcapng",
            packets,
            path.stat().st_size,
            first_ts,
            last_ts,
            tuple(self.linktypes),
            self.undecoded,
        )

    def _straddling(self, tail: bytes, had: int) -> None:
        """Complete the block that starts in ``tail`` from the stream, then handle it."""
        tail = _fill(tail, self.stream, 12)
        if len(tail) < 12:
            raise _error(self.path, _CUT_SHORT, self.packets + 1)
        btype, blen = self._header_of(tail, 0)
        tail = _fill(tail, self.stream, blen)
        if len(tail) < blen:
            packet = self.packets + 1 if btype in (2, 3, 6) else None
            raise _error(self.path, _CUT_SHORT if packet else "the file is cut short", packet)
        self.progress(len(tail) - had)
        self._block(tail, 0, btype, blen)
