"""The least-privilege plan: observed flows become allow rules, or a reason to block them.

Every observed flow that touches a protected zone (modality, archive, reading, AI, vendor
access) is either allowed, host to host on its port (with the AE titles seen, where DICOM),
or listed as "would be blocked" with the reasons, for a person to review before the policy is
enforced. Anything else to or from the protected zones is denied by the plan's default.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from imagewarden.model import Asset, ServiceProtocol
from imagewarden.traffic.addresses import canonical
from imagewarden.traffic.model import FlowRecord
from imagewarden.traffic.segmentation.zones import (
    Zone,
    assets_by_address,
    known_ae_titles,
    zone_of,
)

PORT_NAMES = {
    20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns", 80: "http",
    88: "kerberos", 110: "pop3", 123: "ntp", 135: "msrpc", 139: "netbios", 143: "imap",
    161: "snmp", 389: "ldap", 443: "https", 445: "smb", 636: "ldaps", 1433: "mssql",
    1521: "oracle", 3306: "mysql", 3389: "rdp", 5432: "postgresql", 5900: "vnc",
    5985: "winrm", 5986: "winrm-tls", 8443: "https",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One end of a rule: an address, its zone and (if listed) its inventory asset."""

    address: str
    zone: Zone
    asset_id: str = ""
    name: str = ""
    managed: bool = False
    """In the managed inventory (False for a host only discovery or a capture saw)."""

    @property
    def label(self) -> str:
        """The asset's name, or the address for a host nobody listed."""
        return self.name or self.address


@dataclass(frozen=True, slots=True)
class Rule:
    """Allow ``source`` to open TCP connections to ``destination`` on ``port``."""

    id: str
    source: Endpoint
    destination: Endpoint
    port: int
    service: str
    ae_titles: tuple[tuple[str, str], ...] = ()
    """(calling, called) pairs seen, for the archive's own peer allow-list."""
    connections: int = 0
    last_seen: float = 0.0
    operations: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Review:
    """A flow seen today that the plan would block, and why."""

    source: Endpoint
    destination: Endpoint
    port: int
    service: str
    reasons: tuple[str, ...]
    ae_titles: tuple[tuple[str, str], ...] = ()
    connections: int = 0
    last_seen: float = 0.0


@dataclass(frozen=True)
class SegmentationPlan:
    """Zones, allow rules and the would-be-blocked flows of one site (or of all flows)."""

    site_id: str | None
    generated_at: str
    zones: Mapping[Zone, tuple[Endpoint, ...]]
    allow: tuple[Rule, ...]
    blocked: tuple[Review, ...]
    flows_considered: int
    flows_outside: int
    """Flows between enterprise and internet hosts only: not governed by this plan."""
    protected_hosts: tuple[Endpoint, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """No observed flow touches a protected zone."""
        return not self.allow and not self.blocked


def _endpoint(address: str, owners: Mapping[str, Asset]) -> Endpoint:
    asset = owners.get(address)
    zone = zone_of(asset, address)
    if asset is None:
        return Endpoint(address, zone)
    return Endpoint(address, zone, asset.id, asset.name, asset.managed)


def service_label(flow: FlowRecord, server: Asset | None) -> str:
    """What the flow carries: dicom, dicom-tls, dicomweb, hl7, https, or a port's name."""
    if flow.protocol == "dicom":
        return "dicom"
    if flow.protocol == "hl7":
        return "hl7"
    if flow.protocol == "http":
        return "dicomweb" if flow.http_requests else "http"
    declared = next((s for s in server.services if s.port == flow.port), None) if server else None
    if flow.protocol == "tls":
        if declared is not None and declared.protocol is ServiceProtocol.DICOM:
            return "dicom-tls"
        if declared is not None and declared.protocol is ServiceProtocol.DICOMWEB:
            return "dicomweb-tls"
        if flow.port in (2762, 11112, 104) and not flow.tls_alpn:
            return "dicom-tls"
        return "https" if flow.port in (443, 8443) or flow.tls_alpn else "tls"
    if declared is not None:
        return declared.protocol.value
    return PORT_NAMES.get(flow.port, f"tcp/{flow.port}")


def _reasons(
    flow: FlowRecord,
    source: Endpoint,
    destination: Endpoint,
    known_aes: frozenset[str],
) -> list[str]:
    reasons = []
    if not source.asset_id and source.zone is not Zone.INTERNET:
        reasons.append(f"{source.address} is not in the inventory")
    if not destination.asset_id and destination.zone is not Zone.INTERNET:
        reasons.append(f"{destination.address} is not in the inventory")
    internet = Zone.INTERNET in (source.zone, destination.zone)
    if internet and flow.protocol in ("dicom", "hl7", "http"):
        reasons.append(f"clear-text {flow.protocol.upper()} with an internet address")
    if source.zone is Zone.INTERNET and destination.zone is not Zone.VENDOR_ACCESS:
        reasons.append("connection opened from the internet (only vendor access may be)")
    if source.zone is Zone.MODALITY and destination.zone is Zone.INTERNET:
        reasons.append("a modality reaches the internet directly")
    if flow.protocol == "dicom":
        calling = flow.calling_ae.strip()
        if (
            known_aes
            and calling
            and calling.upper() not in known_aes
            and destination.zone is Zone.ARCHIVE
        ):
            reasons.append(f"calling AE title {calling} is not in the inventory")
        answers = flow.associations
        if answers and set(answers) == {"rejected"}:
            reasons.append("every association was rejected")
    return reasons


@dataclass
class _Entry:
    aes: set[tuple[str, str]] = field(default_factory=set)
    connections: int = 0
    last: float = 0.0
    ops: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def add_entry(self, other: _Entry) -> None:
        self.aes |= other.aes
        self.connections += other.connections
        self.last = max(self.last, other.last)
        for op, count in other.ops.items():
            self.ops[op] = self.ops.get(op, 0) + count

    def add(self, flow: FlowRecord, reasons: Iterable[str]) -> None:
        if flow.calling_ae or flow.called_ae:
            self.aes.add((flow.calling_ae, flow.called_ae))
        self.connections += flow.connections
        self.last = max(self.last, flow.last_seen)
        for op, count in flow.requests.items():
            self.ops[op] = self.ops.get(op, 0) + count
        for reason in reasons:
            if reason not in self.reasons:
                self.reasons.append(reason)


_Key = tuple[str, str, int, str]


def build_plan(
    flows: Iterable[FlowRecord],
    assets: Sequence[Asset],
    site_id: str | None = None,
    now: dt.datetime | None = None,
) -> SegmentationPlan:
    """The plan for ``flows`` against the inventory ``assets``."""
    owners = assets_by_address(assets)
    known_aes = known_ae_titles(assets)
    allowed: dict[_Key, _Entry] = {}
    reviews: dict[_Key, _Entry] = {}
    considered = outside = 0
    endpoints: dict[str, Endpoint] = {}
    for flow in flows:
        client, server = canonical(flow.client), canonical(flow.server)
        source = endpoints.setdefault(client, _endpoint(client, owners))
        destination = endpoints.setdefault(server, _endpoint(server, owners))
        if not (source.zone.protected or destination.zone.protected):
            outside += 1
            continue
        considered += 1
        key = (client, server, flow.port, service_label(flow, owners.get(server)))
        reasons = _reasons(flow, source, destination, known_aes)
        (reviews if reasons else allowed).setdefault(key, _Entry()).add(flow, reasons)
    for key in list(allowed):
        if key in reviews:
            # part of the same host-to-host service needs review: review all of it
            reviews[key].add_entry(allowed.pop(key))
    order = list(Zone)

    def sort_key(key: _Key) -> tuple[int, str, int, int, str]:
        client, server, port, _service = key
        return (
            order.index(endpoints[server].zone),
            server,
            port,
            order.index(endpoints[client].zone),
            client,
        )

    rules = tuple(
        Rule(
            id=f"r{number:03d}",
            source=endpoints[key[0]],
            destination=endpoints[key[1]],
            port=key[2],
            service=key[3],
            ae_titles=tuple(sorted(allowed[key].aes)),
            connections=allowed[key].connections,
            last_seen=allowed[key].last,
            operations=tuple(sorted(allowed[key].ops.items())),
        )
        for number, key in enumerate(sorted(allowed, key=sort_key), start=1)
    )
    blocked = tuple(
        Review(
            source=endpoints[key[0]],
            destination=endpoints[key[1]],
            port=key[2],
            service=key[3],
            reasons=tuple(reviews[key].reasons),
            ae_titles=tuple(sorted(reviews[key].aes)),
            connections=reviews[key].connections,
            last_seen=reviews[key].last,
        )
        for key in sorted(reviews, key=sort_key)
    )
    involved = {a for key in (*allowed, *reviews) for a in key[:2]}
    zones = {
        zone: tuple(
            sorted((endpoints[a] for a in involved if endpoints[a].zone is zone), key=_by_address)
        )
        for zone in Zone
    }
    return SegmentationPlan(
        site_id=site_id,
        generated_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        zones=zones,
        allow=rules,
        blocked=blocked,
        flows_considered=considered,
        flows_outside=outside,
        protected_hosts=tuple(e for zone in Zone if zone.protected for e in zones[zone]),
    )


def _by_address(endpoint: Endpoint) -> tuple[int, int]:
    address = ipaddress.ip_address(endpoint.address)
    return (address.version, int(address))
