"""Connections, once finished, are folded into flows; the flow table has a fixed size.

A flow is keyed by client and server address, server port, protocol and (for DICOM) the
calling and called AE titles. The table never holds more than ``limit`` flows: a capture of a
port scan or of millions of clients cannot exhaust memory; what does not fit is counted.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field

from imagewarden.traffic.dicom_ul import Association
from imagewarden.traffic.flows import Connection
from imagewarden.traffic.model import FlowRecord

MAX_NAMES = 16
MAX_NOTES = 5


def address(raw: bytes) -> str:
    """The text form of a 4- or 16-byte address."""
    return str(ipaddress.ip_address(raw))


@dataclass
class _Builder:
    client: str
    server: str
    port: int
    protocol: str
    calling: str
    called: str
    connections: int = 0
    packets: int = 0
    to_server: int = 0
    to_client: int = 0
    first: float = 0.0
    last: float = 0.0
    associations: Counter[str] = field(default_factory=Counter)
    endings: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    server_requests: Counter[str] = field(default_factory=Counter)
    responses: Counter[str] = field(default_factory=Counter)
    sop_classes: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    destinations: set[str] = field(default_factory=set)
    data_to_server: int = 0
    data_to_client: int = 0
    sets_to_server: int = 0
    sets_to_client: int = 0
    client_impl: str = ""
    server_impl: str = ""
    user_identity: str = ""
    tls_version: str = ""
    tls_offered: str = ""
    tls_cipher: str = ""
    tls_names: set[str] = field(default_factory=set)
    tls_alpn: str = ""
    hl7_to_server: int = 0
    hl7_to_client: int = 0
    http: Counter[str] = field(default_factory=Counter)
    http_other: int = 0
    malformed: int = 0
    resyncs: int = 0
    lost: int = 0
    truncated: int = 0
    notes: list[str] = field(default_factory=list)

    def add_connection(self, conn: Connection, share: bool) -> None:
        """Count a connection's traffic (``share``: only its first association counts it)."""
        if share:
            self.connections += 1
            self.packets += conn.c2s.pkts + conn.s2c.pkts
            self.to_server += conn.c2s.bytes
            self.to_client += conn.s2c.bytes
            if not self.first or conn.first < self.first:
                self.first = conn.first
            self.last = max(self.last, conn.last)
            self.malformed += conn.malformed
            self.resyncs += conn.resyncs
            self.lost += conn.lost_bytes
            self.truncated += conn.truncated_bytes
            for note in conn.notes:
                if len(self.notes) < MAX_NOTES:
                    self.notes.append(note)
        self.tls_version = conn.tls_version or self.tls_version
        self.tls_offered = conn.tls_offered or self.tls_offered
        self.tls_cipher = conn.tls_cipher or self.tls_cipher
        self.tls_alpn = conn.tls_alpn or self.tls_alpn
        if conn.tls_sni and len(self.tls_names) < MAX_NAMES:
            self.tls_names.add(conn.tls_sni)
        self.hl7_to_server += conn.hl7_to_server
        self.hl7_to_client += conn.hl7_to_client
        for (method, template), count in conn.http_requests.items():
            if f"{method} {template}" in self.http or len(self.http) < 64:
                self.http[f"{method} {template}"] += count
        self.http_other += conn.http_other

    def add_association(self, assoc: Association) -> None:
        """Count one association's negotiation and operations."""
        self.associations[assoc.outcome] += 1
        if assoc.ending:
            self.endings[assoc.ending] += 1
        if assoc.reject is not None:
            self.rejections["/".join(str(v) for v in assoc.reject)] += 1
        self.requests.update(assoc.requests_by_client)
        self.server_requests.update(assoc.requests_by_server)
        for (op, status), count in assoc.responses.items():
            self.responses[f"{op} {status}"] += count
        for target, values in (
            (self.sop_classes, assoc.sop_classes),
            (self.accepted, assoc.accepted_syntaxes()),
            (self.destinations, assoc.move_destinations),
        ):
            for value in values:
                if len(target) < 64:
                    target.add(value)
        self.data_to_server += assoc.data_bytes_to_server
        self.data_to_client += assoc.data_bytes_to_client
        self.sets_to_server += assoc.data_sets_to_server
        self.sets_to_client += assoc.data_sets_to_client
        client = " ".join(v for v in (assoc.client_impl_uid, assoc.client_impl_version) if v)
        server = " ".join(v for v in (assoc.server_impl_uid, assoc.server_impl_version) if v)
        self.client_impl = client or self.client_impl
        self.server_impl = server or self.server_impl
        self.user_identity = assoc.user_identity or self.user_identity

    def record(self) -> FlowRecord:
        """The frozen flow."""
        return FlowRecord(
            client=self.client,
            server=self.server,
            port=self.port,
            protocol=self.protocol,
            calling_ae=self.calling,
            called_ae=self.called,
            connections=self.connections,
            packets=self.packets,
            bytes_to_server=self.to_server,
            bytes_to_client=self.to_client,
            first_seen=self.first,
            last_seen=self.last,
            associations=dict(sorted(self.associations.items())),
            endings=dict(sorted(self.endings.items())),
            rejections=dict(sorted(self.rejections.items())),
            requests=dict(sorted(self.requests.items())),
            server_requests=dict(sorted(self.server_requests.items())),
            responses=dict(sorted(self.responses.items())),
            sop_classes=tuple(sorted(self.sop_classes)),
            accepted_syntaxes=tuple(sorted(self.accepted)),
            move_destinations=tuple(sorted(self.destinations)),
            data_bytes_to_server=self.data_to_server,
            data_bytes_to_client=self.data_to_client,
            data_sets_to_server=self.sets_to_server,
            data_sets_to_client=self.sets_to_client,
            client_implementation=self.client_impl,
            server_implementation=self.server_impl,
            user_identity=self.user_identity,
            tls_version=self.tls_version,
            tls_offered=self.tls_offered,
            tls_cipher=self.tls_cipher,
            tls_server_names=tuple(sorted(self.tls_names)),
            tls_alpn=self.tls_alpn,
            hl7_messages_to_server=self.hl7_to_server,
            hl7_messages_to_client=self.hl7_to_client,
            http_requests=dict(sorted(self.http.items())),
            http_other_requests=self.http_other,
            malformed=self.malformed,
            resyncs=self.resyncs,
            lost_bytes=self.lost,
            truncated_bytes=self.truncated,
            notes=tuple(self.notes),
        )


class FlowTable:
    """Finished connections folded into at most ``limit`` flows."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self.flows: dict[tuple[str, str, int, str, str, str], _Builder] = {}
        self.not_kept = 0
        self.without_data = 0
        self._names: dict[bytes, str] = {}

    def _name(self, raw: bytes) -> str:
        name = self._names.get(raw)
        if name is None:
            name = address(raw)
            if len(self._names) < 100_000:
                self._names[raw] = name
        return name

    def _builder(self, conn: Connection, calling: str, called: str) -> _Builder | None:
        client, server = self._name(conn.client), self._name(conn.server)
        protocol = conn.kind or "other"
        key = (client, server, conn.server_port, protocol, calling, called)
        builder = self.flows.get(key)
        if builder is None:
            if len(self.flows) >= self.limit:
                self.not_kept += 1
                return None
            builder = _Builder(client, server, conn.server_port, protocol, calling, called)
            self.flows[key] = builder
        return builder

    def add(self, conn: Connection) -> None:
        """Fold one finished connection in."""
        if conn.c2s.bytes == 0 and conn.s2c.bytes == 0:
            self.without_data += 1
            return
        if conn.kind == "dicom" and conn.associations:
            for index, assoc in enumerate(conn.associations):
                builder = self._builder(conn, assoc.calling, assoc.called)
                if builder is None:
                    return
                builder.add_connection(conn, share=index == 0)
                builder.add_association(assoc)
            return
        builder = self._builder(conn, "", "")
        if builder is not None:
            builder.add_connection(conn, share=True)

    def records(self) -> tuple[FlowRecord, ...]:
        """Every flow, in a stable order."""
        return tuple(
            b.record()
            for b in sorted(
                self.flows.values(),
                key=lambda b: (b.first, b.client, b.server, b.port, b.calling, b.called),
            )
        )
