"""A fleet of fast DICOM SCPs for the discovery benchmark: asyncio, several processes.

Each address of the fleet is one "device" on 127.0.1.x with one persona:
  open     accepts any calling and called AE title (like storescp or an insecure PACS);
  strict   accepts only its own called AE title (diag 7 otherwise);
  closed   accepts only one calling AE title (diag 3 otherwise);
  silent   accepts TCP and never answers.
It speaks just enough of the upper layer: A-ASSOCIATE-AC/RJ, C-ECHO-RSP, A-RELEASE-RP.
Written for speed so that the peer is never the bottleneck; not a DICOM implementation.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.queues
import multiprocessing.synchronize
import socket
import struct
from dataclasses import dataclass

IMPLICIT = b"1.2.840.10008.1.2"
SUPPORTED = {
    b"1.2.840.10008.1.1",
    b"1.2.840.10008.5.1.4.1.1.2",
    b"1.2.840.10008.5.1.4.1.1.4",
    b"1.2.840.10008.5.1.4.1.1.7",
    b"1.2.840.10008.5.1.4.1.2.2.1",
}
IDENTITY = {
    "open": (b"1.2.276.0.7230010.3.0.3.6.7", b"OFFIS_DCMTK_367"),
    "strict": (b"1.2.826.0.1.3680043.9.3811.3.0.4", b"PYNETDICOM_304"),
    "closed": (b"1.2.40.0.13.1.3", b"dcm4che-5.31.0"),
}


@dataclass(frozen=True)
class Device:
    address: str
    port: int
    persona: str
    ae_title: str = "FLEETSCP"
    allowed_calling: str = "FLEETPEER"


def _item(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", kind, 0, len(payload)) + payload


def _accept(rq: bytes, persona: str) -> bytes:
    items, offset, contexts = rq[68:], 0, []
    while offset + 4 <= len(items):
        kind, _, length = struct.unpack_from(">BBH", items, offset)
        value = items[offset + 4 : offset + 4 + length]
        if kind == 0x20 and len(value) >= 8:
            ctx_id = value[0]
            sub_len = struct.unpack_from(">H", value, 6)[0]
            abstract = value[8 : 8 + sub_len].rstrip(b"\x00")
            contexts.append((ctx_id, abstract in SUPPORTED))
        offset += 4 + length
    uid, version = IDENTITY[persona]
    body = rq[:68]
    body += _item(0x10, b"1.2.840.10008.3.1.1.1")
    for ctx_id, ok in contexts:
        body += _item(0x21, bytes([ctx_id, 0, 0 if ok else 3, 0]) + _item(0x40, IMPLICIT))
    body += _item(
        0x50, _item(0x51, struct.pack(">I", 16384)) + _item(0x52, uid) + _item(0x55, version)
    )
    return struct.pack(">BBI", 2, 0, len(body)) + body


def _reject(reason: int) -> bytes:
    return struct.pack(">BBIBBBB", 3, 0, 4, 0, 1, 1, reason)


def _echo_rsp(ctx_id: int, message_id: int) -> bytes:
    def el(elem: int, value: bytes) -> bytes:
        return struct.pack("<HHI", 0, elem, len(value)) + value

    body = (
        el(0x0002, b"1.2.840.10008.1.1\x00")
        + el(0x0100, struct.pack("<H", 0x8030))
        + el(0x0120, struct.pack("<H", message_id))
        + el(0x0800, struct.pack("<H", 0x0101))
        + el(0x0900, struct.pack("<H", 0))
    )
    command = el(0x0000, struct.pack("<I", len(body))) + body
    pdv = struct.pack(">IBB", len(command) + 2, ctx_id, 3) + command
    return struct.pack(">BBI", 4, 0, len(pdv)) + pdv


class Load:
    """Connections open per address right now, and the most at any moment (the gentleness)."""

    def __init__(self) -> None:
        self.active: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    def opened(self, address: str) -> None:
        self.active[address] = self.active.get(address, 0) + 1
        self.peak[address] = max(self.peak.get(address, 0), self.active[address])

    def closed(self, address: str) -> None:
        self.active[address] -= 1


async def _serve(
    device: Device, load: Load, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    load.opened(device.address)
    try:
        if device.persona == "silent":
            while await reader.read(65536):  # swallow, never answer, until the client leaves
                pass
            return
        while True:
            header = await reader.readexactly(6)
            kind, _, length = struct.unpack(">BBI", header)
            if length > 1 << 20:
                return
            body = await reader.readexactly(length)
            if kind == 1:
                called = body[4:20].decode("ascii", "replace").strip()
                calling = body[20:36].decode("ascii", "replace").strip()
                if device.persona == "strict" and called != device.ae_title:
                    writer.write(_reject(7))
                    return
                if device.persona == "closed" and calling != device.allowed_calling:
                    writer.write(_reject(3))
                    return
                writer.write(_accept(body, device.persona))
            elif kind == 4:
                ctx_id = body[4]
                writer.write(_echo_rsp(ctx_id, 1))
            elif kind == 5:
                writer.write(struct.pack(">BBII", 6, 0, 4, 0))
                await writer.drain()
                return
            else:
                return
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.CancelledError):
        return
    finally:
        load.closed(device.address)
        writer.close()


async def _run(
    devices: list[Device],
    ready: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
    peaks: multiprocessing.queues.Queue[dict[str, int]],
) -> None:
    load = Load()
    servers = []
    for device in devices:
        servers.append(
            await asyncio.start_server(
                lambda r, w, d=device: _serve(d, load, r, w),
                device.address,
                device.port,
                backlog=64,
                reuse_address=True,
            )
        )
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    for server in servers:
        server.close()
    peaks.put(load.peak)


def _worker(
    devices: list[Device],
    ready: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
    peaks: multiprocessing.queues.Queue[dict[str, int]],
) -> None:
    asyncio.run(_run(devices, ready, stop, peaks))


class Fleet:
    """``with Fleet(devices, processes=2):`` serves every device until the block ends."""

    def __init__(self, devices: list[Device], processes: int = 2) -> None:
        self.devices = devices
        self.processes = processes
        self._stop = multiprocessing.Event()
        self._peaks: multiprocessing.queues.Queue[dict[str, int]] = multiprocessing.Queue()
        self._procs: list[multiprocessing.Process] = []
        self.peaks: dict[str, int] = {}
        """After exit: the most simultaneous connections each address saw."""

    def __enter__(self) -> Fleet:
        for index in range(self.processes):
            ready = multiprocessing.Event()
            # Every port of one address in the same worker, so its load is counted in one place.
            addresses = sorted({d.address for d in self.devices})[index :: self.processes]
            share = [d for d in self.devices if d.address in set(addresses)]
            proc = multiprocessing.Process(
                target=_worker, args=(share, ready, self._stop, self._peaks), daemon=True
            )
            proc.start()
            if not ready.wait(30):
                raise RuntimeError("fleet worker did not start")
            self._procs.append(proc)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for _ in self._procs:
            self.peaks.update(self._peaks.get(timeout=10))
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
