"""The connection log: one line for every connection discovery opens to a device.

It is the record of what touched a clinical device: when, which address and port, what was
sent (PDU types, HTTP request lines, a TLS handshake) and how it ended. It never holds patient
data, credentials or bytes from the peer, and the only AE titles it shows are the scope's
configured ones (a random title discovery made up is shown as ``random``).

The scheduler opens a ``ConnectionEntry`` for every TCP connection attempt that passed the
scope (a refused or timed-out connect is still an attempt: packets reached the device); a
probe records what it sends through its ``Connection`` and sets the outcome. When a target's
probe ends, its entries become ``ConnectionRecord``s: they travel in the discovery batch, so
a site worker can keep its own log, and the command line appends them to the log file
(``ConnectionLog``) as they come.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ConfigDict

from imagewarden.discovery import pdu
from imagewarden.discovery.interface import Target, TargetKind
from imagewarden.model import InfrastructureError, Location, UserInputError

log = logging.getLogger(__name__)

_COMMANDS = {0x0030: "C-ECHO-RQ", 0x0020: "C-FIND-RQ", 0x0FFF: "C-CANCEL-RQ"}
_UNSAFE = re.compile(r"[^\x21-\x7e ]")
NOTHING_SENT = "-"


def _clean(text: str, limit: int = 200) -> str:
    """One log field: printable ASCII only, bounded (the text is ours, this is a backstop)."""
    return _UNSAFE.sub("?", text)[:limit]


class ConnectionRecord(BaseModel):
    """One finished connection, as the log and the discovery batch keep it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: dt.datetime
    """When the connection was dialled (UTC)."""
    host: str
    port: int
    kind: TargetKind
    sent: tuple[str, ...]
    """What discovery sent, in order: PDU types ('A-ASSOCIATE-RQ(calling->called)',
    'C-ECHO-RQ'), HTTP requests ('GET(/system)'), 'TLS-ClientHello'. No spaces or commas."""
    outcome: str

    def line(self) -> str:
        """The log line: time, endpoint, kind, what was sent, how it ended."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        at = self.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        sent = ",".join(_clean(s, 80).replace(" ", "_") for s in self.sent) or NOTHING_SENT
        return (
            f"{at} {_clean(host, 60)}:{self.port} {self.kind.value} sent={sent} "
            f"outcome={_clean(self.outcome)}"
        )


@dataclass
class ConnectionEntry:
    """A connection in progress: what was sent so far and how it ended."""

    target: Target
    shown_titles: frozenset[str] = frozenset()
    """AE titles from the scope's configuration, which the log may show."""
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    sent: list[str] = field(default_factory=list)
    outcome: str = "connected"

    def note(self, label: str) -> None:
        """Record something sent that is not a PDU (a TLS hello, an HTTP request line)."""
        self.sent.append(label)

    def dicom(self, data: bytes) -> None:
        """Record the PDUs in ``data``, which discovery is about to send."""
        for pdu_type, body in pdu.split_pdus(data):
            if pdu_type == pdu.ASSOCIATE_RQ:
                called = self._title(body[4:20])
                calling = self._title(body[20:36])
                self.sent.append(f"A-ASSOCIATE-RQ({calling}->{called})")
            elif pdu_type == pdu.P_DATA:
                self.sent.extend(_p_data_labels(body))
            else:
                self.sent.append(pdu.PDU_NAMES.get(pdu_type, f"PDU-0x{pdu_type:02x}"))

    def _title(self, raw: bytes) -> str:
        title = raw.decode("ascii", "replace").strip()
        return title if title in self.shown_titles else "random"

    def record(self) -> ConnectionRecord:
        """The finished record."""
        return ConnectionRecord(
            at=self.at,
            host=self.target.host,
            port=self.target.port,
            kind=self.target.kind,
            sent=tuple(self.sent),
            outcome=self.outcome,
        )


def _p_data_labels(body: bytes) -> list[str]:
    labels: list[str] = []
    offset = 0
    while offset + 6 <= len(body):
        length, _, control = struct.unpack_from(">IBB", body, offset)
        data = body[offset + 6 : offset + 4 + length]
        if control & 1:
            command, _ = pdu.command_status(data)
            labels.append(_COMMANDS.get(command or -1, f"command-0x{command or 0:04x}"))
        else:
            labels.append("identifier")
        offset += 4 + max(length, 2)
    return labels


@dataclass
class Connection:
    """One open TCP (or TLS) connection of a probe, with its log entry.

    DICOM probes send through ``send``, so the log records every PDU that left; the
    ``writer`` is exposed for TLS details and closing, never for sending.
    """

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    log: ConnectionEntry

    async def send(self, data: bytes) -> None:
        """Record the PDUs in ``data``, then send them."""
        self.log.dicom(data)
        self.writer.write(data)
        await self.writer.drain()


class ConnectionLog:
    """The connection log file: appended to, one line per connection, created owner-only.

    Opened before the first probe, so a log that cannot be written stops discovery before
    anything is sent.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None
        self.lines = 0

    def open(self) -> ConnectionLog:
        """Open (or create, mode 0600) the file for appending."""
        if self.path.is_dir():
            raise UserInputError("the connection log is a folder; give a file name",
                                 Location(str(self.path)))  # fmt: skip
        if not self.path.parent.is_dir():
            raise UserInputError(
                f"folder {self.path.parent} does not exist", hint="--connection-log"
            )
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise InfrastructureError(
                f"cannot open the connection log {self.path}: {exc.strerror}"
            ) from None
        self._file = os.fdopen(descriptor, "a", encoding="ascii", errors="replace")
        return self

    def append(self, record: ConnectionRecord) -> None:
        """Write one record's line and flush it (a crash loses no finished connection)."""
        if self._file is None:
            raise RuntimeError("the connection log is not open")
        try:
            self._file.write(record.line() + "\n")
            self._file.flush()
        except OSError as exc:
            log.error("connection log %s: %s", self.path, exc.strerror)
            raise InfrastructureError(
                f"cannot write the connection log {self.path}: {exc.strerror}"
            ) from None
        self.lines += 1

    def extend(self, records: Iterable[ConnectionRecord]) -> None:
        """Append every record (e.g. those of a batch collected elsewhere)."""
        for record in records:
            self.append(record)

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> ConnectionLog:
        return self if self._file is not None else self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()
