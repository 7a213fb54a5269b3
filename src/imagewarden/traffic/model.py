"""What capture analysis produces: flows and a capture batch, JSON-ready and frozen.

A ``CaptureBatch`` is what a site worker sends to the centre: no packet bytes, no patient
data, only facts about flows (addresses, ports, AE titles, SOP classes, operation counts,
byte counts, TLS versions and server names, DICOMweb path templates).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imagewarden.model import UserInputError

BATCH_FORMAT = "imagewarden-capture/1"
PROTOCOLS = ("dicom", "tls", "hl7", "http", "other")


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """Every connection of one kind between two hosts (and, for DICOM, one pair of AEs).

    Counts add up over the connections; sets (SOP classes, move destinations, server names)
    are unions, bounded. ``client`` opened the connection; ``port`` is the server's port.
    """

    client: str
    server: str
    port: int
    protocol: str
    """dicom | tls | hl7 | http | other (dicom over TLS shows as tls: it cannot be read)."""
    calling_ae: str = ""
    called_ae: str = ""
    connections: int = 0
    packets: int = 0
    bytes_to_server: int = 0
    bytes_to_client: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    associations: Mapping[str, int] = field(default_factory=dict)
    """How the A-ASSOCIATE-RQ was answered: accepted, rejected, aborted, no-answer, unknown."""
    endings: Mapping[str, int] = field(default_factory=dict)
    """released or aborted (an association that just stopped is not counted)."""
    rejections: Mapping[str, int] = field(default_factory=dict)
    """"result/source/reason" of each A-ASSOCIATE-RJ (PS3.8 table 9-21)."""
    requests: Mapping[str, int] = field(default_factory=dict)
    """DIMSE requests the client sent, by operation (C-STORE, C-FIND, ...)."""
    server_requests: Mapping[str, int] = field(default_factory=dict)
    """Requests the server sent on the same association (the C-STOREs of a C-GET)."""
    responses: Mapping[str, int] = field(default_factory=dict)
    """"<operation> <status class>" -> responses (pending C-FIND responses count matches)."""
    sop_classes: tuple[str, ...] = ()
    accepted_syntaxes: tuple[str, ...] = ()
    move_destinations: tuple[str, ...] = ()
    data_bytes_to_server: int = 0
    data_bytes_to_client: int = 0
    data_sets_to_server: int = 0
    data_sets_to_client: int = 0
    client_implementation: str = ""
    server_implementation: str = ""
    user_identity: str = ""
    """Type of DICOM user identity negotiation (never the identity itself)."""
    tls_version: str = ""
    tls_offered: str = ""
    tls_cipher: str = ""
    tls_server_names: tuple[str, ...] = ()
    tls_alpn: str = ""
    hl7_messages_to_server: int = 0
    hl7_messages_to_client: int = 0
    http_requests: Mapping[str, int] = field(default_factory=dict)
    """"<method> <path template>" of plain-HTTP DICOMweb requests."""
    http_other_requests: int = 0
    malformed: int = 0
    resyncs: int = 0
    lost_bytes: int = 0
    truncated_bytes: int = 0
    notes: tuple[str, ...] = ()

    @property
    def encrypted(self) -> bool:
        """The connection was TLS (its content could not be read, by design)."""
        return self.protocol == "tls"

    @property
    def images_in_clear(self) -> int:
        """C-STORE data sets sent without encryption (each carries patient identifiers)."""
        if self.protocol != "dicom":
            return 0
        return self.requests.get("C-STORE", 0) + self.server_requests.get("C-STORE", 0)

    @property
    def query_or_retrieve(self) -> int:
        """C-FIND, C-MOVE and C-GET requests the client sent."""
        return sum(self.requests.get(op, 0) for op in ("C-FIND", "C-MOVE", "C-GET"))


@dataclass(frozen=True, slots=True)
class CaptureFile:
    """One file of the capture, in the order it was read."""

    name: str
    format: str
    size: int
    packets: int
    first_seen: float | None
    last_seen: float | None


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """Counters over the whole capture (what was read, what was not, and why)."""

    packets: int = 0
    bytes: int = 0
    tcp_packets: int = 0
    other_ip_packets: int = 0
    non_ip_packets: int = 0
    fragments: int = 0
    malformed_headers: int = 0
    undecoded_link_packets: int = 0
    connections: int = 0
    connections_without_data: int = 0
    connections_evicted: int = 0
    late_packets: int = 0
    budget_refusals: int = 0
    flows_not_kept: int = 0


@dataclass(frozen=True)
class CaptureBatch:
    """The result of ``analyze``: what a site worker sends, what ``apply`` stores."""

    files: tuple[CaptureFile, ...]
    flows: tuple[FlowRecord, ...]
    stats: CaptureStats
    started: float | None
    ended: float | None
    analyzed_at: str
    site_id: str | None = None
    format: str = BATCH_FORMAT

    @property
    def fingerprint(self) -> str:
        """Identity of the capture (file names, sizes, packet counts, times): applying the same
        capture twice replaces its flows instead of counting them twice."""
        text = json.dumps(
            [[f.name, f.size, f.packets, f.first_seen, f.last_seen] for f in self.files]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (the site worker's batch)."""
        return {
            "format": self.format,
            "site_id": self.site_id,
            "analyzed_at": self.analyzed_at,
            "started": self.started,
            "ended": self.ended,
            "files": [dataclasses.asdict(f) for f in self.files],
            "stats": dataclasses.asdict(self.stats),
            "flows": [flow_to_json(f) for f in self.flows],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "batch") -> CaptureBatch:
        """Read a batch written by ``to_json``; a wrong shape is a ``UserInputError``."""
        if not isinstance(data, Mapping) or data.get("format") != BATCH_FORMAT:
            raise UserInputError(f"{source}: not a capture batch (format {BATCH_FORMAT!r})")
        try:
            return cls(
                files=tuple(CaptureFile(**f) for f in data["files"]),
                flows=tuple(flow_from_json(f) for f in data["flows"]),
                stats=CaptureStats(**data["stats"]),
                started=data["started"],
                ended=data["ended"],
                analyzed_at=str(data["analyzed_at"]),
                site_id=data.get("site_id"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserInputError(f"{source}: malformed capture batch ({exc})") from None


_TUPLES = ("sop_classes", "accepted_syntaxes", "move_destinations", "tls_server_names", "notes")


def flow_to_json(flow: FlowRecord) -> dict[str, Any]:
    """A flow as plain JSON values."""
    data = dataclasses.asdict(flow)
    for name in _TUPLES:
        data[name] = list(data[name])
    return data


def flow_from_json(data: Mapping[str, Any]) -> FlowRecord:
    """The inverse of ``flow_to_json``."""
    values = dict(data)
    for name in _TUPLES:
        if name in values:
            values[name] = tuple(str(v) for v in values[name])
    if values.get("protocol") not in PROTOCOLS:
        raise ValueError(f"unknown protocol {values.get('protocol')!r}")
    return FlowRecord(**values)
