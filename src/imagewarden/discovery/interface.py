"""What discovery is made of: targets inside a scope, probes, and the results they return.

A probe gets one target (host, port, kind) and a ``ProbeContext`` through which it opens every
connection: the context enforces the scope, the rate limits and the timeouts, so no probe can
reach an address the scope did not allow, and it logs every connection (``connections.py``).
A probe that needs a client library's own sockets (HTTP) dials through the context's guard
(``dialable``, ``check_peer``) all the same. The catalog data a probe reads (fingerprints,
default credentials) comes from the context too. A probe returns a ``ServiceResult``: facts
named in ``imagewarden.model.facts`` and nothing else, never a payload from the peer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from imagewarden.model import FactValue, ServiceProtocol

if TYPE_CHECKING:
    from imagewarden.discovery.catalog_data import DiscoveryData
    from imagewarden.discovery.connections import Connection, ConnectionEntry


class Profile(StrEnum):
    """How much a scan sends (docs/safety.md lists the exact bytes of each)."""

    PING = "ping"
    """One association per DICOM service, Verification only, then release (like dicom-ping)."""
    SAFE = "safe"
    """Every probe that only connects, associates (or handshakes) and releases. The default."""
    STANDARD = "standard"
    """SAFE plus C-ECHO, and the opt-ins: count-only queries, default-credential checks."""


class TargetKind(StrEnum):
    """What a port is probed as (the scope's port lists)."""

    DICOM = "dicom"
    DICOM_TLS = "dicom_tls"
    HTTP = "http"
    HTTPS = "https"
    HL7 = "hl7"


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """One port of one host, to be probed as ``kind``; the host is a canonical address."""

    host: str
    port: int
    kind: TargetKind

    def __str__(self) -> str:
        return f"{self.host}:{self.port} ({self.kind.value})"


@dataclass(frozen=True, slots=True)
class DicomTitles:
    """AE titles for one DICOM target: configuration, never patient data."""

    calling: str
    called: str
    called_known: bool
    """The called AE title is the service's configured one (from the scope), not a guess."""
    calling_known: bool = False
    """The calling AE title is one the peer is configured to accept (from the scope)."""


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How much a run sends: the profile, the opt-ins and the timeouts (from the scope)."""

    profile: Profile = Profile.SAFE
    allow_query: bool = False
    allow_credential_checks: bool = False
    connect_timeout: float = 2.0
    read_timeout: float = 2.0
    max_query_matches: int = 100
    """C-FIND and QIDO stop counting here (C-FIND sends C-CANCEL)."""


@dataclass(frozen=True, slots=True)
class Product:
    """A product or toolkit a probe identified, with its version when announced."""

    vendor: str
    name: str
    version: str = ""
    outdated: bool | None = None


class TargetStatus(StrEnum):
    """How far the probe of one target got; only answered and closed targets are facts."""

    ANSWERED = "answered"
    """Something listens and the probe finished: its facts are what the port is now."""
    CLOSED = "closed"
    """Nothing listens (connection refused or not answered)."""
    NOT_CONTACTED = "not-contacted"
    """The scope refused the address: nothing was sent."""
    FAILED = "failed"
    """The probe ran out of time or failed: nothing is concluded about the port."""


@dataclass(frozen=True, slots=True)
class ServiceResult:
    """What the probe of one target learned."""

    target: Target
    open: bool
    """Something accepted a TCP connection on the port."""
    protocol: ServiceProtocol | None
    """What the port speaks, when a probe could tell; None when it is closed or unknown."""
    facts: Mapping[str, FactValue] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    """Short human remarks (outcomes such as 'aborted'); never bytes from the peer."""
    product: Product | None = None
    asset_facts: Mapping[str, FactValue] = field(default_factory=dict)
    """Facts about the host rather than the service (e.g. credentials.default_reported)."""
    status: TargetStatus = TargetStatus.ANSWERED
    outcome: str = ""
    """How the port answered, in a few words ('accepted', 'HTTP 401', 'closed', ...)."""

    @classmethod
    def closed(cls, target: Target) -> ServiceResult:
        """Nothing listens on the target's port."""
        return cls(target, False, None, status=TargetStatus.CLOSED, outcome="closed")


class ScopeRefusal(PermissionError):
    """A connection the scope does not allow: never dialled, or dropped before a byte is sent.

    Probes let it through (it is not a closed port): the scheduler records the target as
    not contacted, with the reason.
    """


class ProbeContext(Protocol):
    """What a probe may use: scoped connections, options, titles, catalog data. Implemented
    by the scheduler."""

    options: ProbeOptions
    data: DiscoveryData
    """The catalog's discovery section: fingerprints and default credentials."""

    def titles(self, target: Target) -> DicomTitles:
        """The AE titles to use for ``target`` (configured ones when the scope names them)."""
        ...

    async def admit(self, target: Target) -> None:
        """Wait for the rate limits and refuse (PermissionError) a target outside the scope."""
        ...

    async def connect(self, target: Target, *, tls: bool = False) -> Connection:
        """Open a TCP (or TLS, unverified) connection after the scope and rate checks; it is
        logged, refused attempts included."""
        ...

    def log_connection(self, target: Target) -> ConnectionEntry:
        """A connection log entry for a connection dialled by other means (HTTP)."""
        ...

    def dialable(self, host: str) -> str:
        """The canonical address to dial for ``host``; ScopeRefusal when the scope refuses it."""
        ...

    def check_peer(self, dialled: str, peername: object) -> None:
        """ScopeRefusal unless a new socket's peer is ``dialled`` and inside the scope."""
        ...


class Probe(Protocol):
    """Probes one target through the context."""

    async def __call__(self, target: Target, ctx: ProbeContext) -> ServiceResult: ...
