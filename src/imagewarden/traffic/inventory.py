"""From flows to inventory: unmanaged assets for strangers, services seen, observations.

A host nobody listed that takes part in imaging traffic (DICOM, HL7, DICOMweb) or talks to an
inventory asset becomes an asset with ``managed=False`` and type ``unknown``, exactly as active
discovery records the hosts it finds, so the report lists it for reconciliation. Internet
addresses never become assets: they are the outside the segmentation plan keeps out.

Observations (source ``sniffed``) are computed from every stored flow of the site, so applying
a second capture refines the facts instead of replacing them with a partial view.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from imagewarden.model import (
    Asset,
    AssetType,
    Collected,
    FactValue,
    Observation,
    ObservationSource,
    Service,
    ServiceProtocol,
    SubjectKind,
    unmanaged_asset_id,
)
from imagewarden.store import ObservationBatch
from imagewarden.traffic.addresses import canonical, is_internal
from imagewarden.traffic.model import FlowRecord
from imagewarden.traffic.segmentation.zones import assets_by_address

COLLECTOR = "imagewarden traffic analyze"
TRAFFIC_FACTS = frozenset(
    {
        "service.tls",
        "traffic.associations",
        "traffic.calling_ae_titles",
        "traffic.clients",
        "traffic.cleartext_images",
        "traffic.queries",
        "traffic.cleartext_hl7_messages",
        "traffic.cleartext_dicomweb_requests",
        "traffic.last_seen",
    }
)
MAX_TITLES = 20


def is_imaging(flow: FlowRecord) -> bool:
    """DICOM, HL7, or DICOMweb over plain HTTP."""
    return flow.protocol in ("dicom", "hl7") or (
        flow.protocol == "http" and bool(flow.http_requests)
    )


def _service(flow: FlowRecord) -> Service | None:
    """The server's service a flow shows (None when the flow says too little)."""
    if flow.protocol == "dicom":
        return Service(ServiceProtocol.DICOM, flow.port, tls=False)
    if flow.protocol == "hl7":
        return Service(ServiceProtocol.HL7, flow.port, tls=False)
    if flow.protocol == "http":
        kind = ServiceProtocol.DICOMWEB if flow.http_requests else ServiceProtocol.HTTP
        return Service(kind, flow.port, tls=False)
    if flow.protocol == "tls":
        if flow.port in (443, 8443) or flow.tls_alpn:
            return Service(ServiceProtocol.HTTPS, flow.port, tls=True)
        if flow.port in (2762, 11112, 104):
            return Service(ServiceProtocol.DICOM, flow.port, tls=True)
        return Service(ServiceProtocol.OTHER, flow.port, tls=True)
    return None


def collect(flows: Sequence[FlowRecord], assets: Sequence[Asset], site_id: str) -> Collected:
    """New hosts and services that ``flows`` show against the inventory ``assets``.

    A service goes to a known asset only on a port its record does not list: what the
    inventory says about a listed service (its AE title, TLS) is never overwritten.
    """
    owners = assets_by_address(assets)
    new_services: dict[str, dict[int, Service]] = defaultdict(dict)
    strangers: set[str] = set()
    for flow in flows:
        client, server = canonical(flow.client), canonical(flow.server)
        known = client in owners or server in owners
        if not (is_imaging(flow) or known):
            continue
        for address in (client, server):
            if address not in owners and is_internal(address):
                strangers.add(address)
        service = _service(flow)
        if service is not None and (server in owners or server in strangers):
            new_services[server].setdefault(service.port, service)
    created = tuple(
        Asset(
            id=unmanaged_asset_id(address),
            site_id=site_id,
            name=f"Host seen in traffic {address}",
            type=AssetType.UNKNOWN,
            ip_addresses=(address,),
            managed=False,
        )
        for address in sorted(strangers)
    )
    services: list[tuple[str, Service]] = []
    for address, seen in sorted(new_services.items()):
        asset = owners.get(address)
        asset_id = asset.id if asset is not None else unmanaged_asset_id(address)
        have = {s.port for s in asset.services} if asset is not None else set()
        services += [(asset_id, s) for port, s in sorted(seen.items()) if port not in have]
    return Collected(new_assets=created, services=tuple(services))


def assets_after(assets: Sequence[Asset], collected: Collected) -> list[Asset]:
    """The inventory as it will be once ``collected`` is applied (to compute facts before)."""
    added: dict[str, list[Service]] = defaultdict(list)
    for asset_id, service in collected.services:
        added[asset_id].append(service)
    result = []
    for asset in [*assets, *collected.new_assets]:
        if asset.id in added:
            merged = sorted([*asset.services, *added[asset.id]], key=lambda s: s.port)
            asset = dataclasses.replace(asset, services=tuple(merged))
        result.append(asset)
    return result


def _datetime(seconds: float, fallback: dt.datetime) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds else fallback


def observation_batch(
    flows: Iterable[FlowRecord], assets: Sequence[Asset], now: dt.datetime
) -> ObservationBatch:
    """Traffic facts of every service the flows reached, as one batch (source ``sniffed``)."""
    owners = assets_by_address(assets)
    per_service: dict[str, list[FlowRecord]] = defaultdict(list)
    for flow in flows:
        asset = owners.get(canonical(flow.server))
        if asset is None:
            continue
        service = next((s for s in asset.services if s.port == flow.port), None)
        if service is None:
            continue
        per_service[service.key(asset.id)].append(flow)
    observations: list[Observation] = []
    for key, group in sorted(per_service.items()):
        at = _datetime(max(f.last_seen for f in group), now)
        facts = _facts(group)
        observations.extend(
            Observation(
                SubjectKind.SERVICE, key, name, value, ObservationSource.SNIFFED, at, COLLECTOR
            )
            for name, value in sorted(facts.items())
        )
    subjects = tuple((SubjectKind.SERVICE, key) for key in sorted(per_service))
    return ObservationBatch(ObservationSource.SNIFFED, tuple(observations), subjects, TRAFFIC_FACTS)


def _facts(group: Sequence[FlowRecord]) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {
        "traffic.clients": len({canonical(f.client) for f in group}),
        "traffic.last_seen": _datetime(
            max(f.last_seen for f in group), dt.datetime.now(dt.UTC)
        ).date(),
    }
    dicom = [f for f in group if f.protocol == "dicom"]
    if dicom:
        facts["traffic.associations"] = sum(sum(f.associations.values()) for f in dicom)
        titles = sorted({f.calling_ae for f in dicom if f.calling_ae})
        if titles:
            shown = titles[:MAX_TITLES]
            more = f" and {len(titles) - MAX_TITLES} more" if len(titles) > MAX_TITLES else ""
            facts["traffic.calling_ae_titles"] = ", ".join(shown) + more
        facts["traffic.cleartext_images"] = sum(f.images_in_clear for f in dicom)
        facts["traffic.queries"] = sum(f.query_or_retrieve for f in dicom)
    hl7 = [f for f in group if f.protocol == "hl7"]
    if hl7:
        facts["traffic.cleartext_hl7_messages"] = sum(
            f.hl7_messages_to_server + f.hl7_messages_to_client for f in hl7
        )
    web = [f for f in group if f.protocol == "http" and f.http_requests]
    if web:
        facts["traffic.cleartext_dicomweb_requests"] = sum(
            sum(f.http_requests.values()) for f in web
        )
    clear = [
        f
        for f in group
        if f.protocol in ("dicom", "hl7") or (f.protocol == "http" and f.http_requests)
    ]
    if clear:
        facts["service.tls"] = False
    elif all(f.protocol == "tls" for f in group):
        facts["service.tls"] = True
    return facts


def owners_of(assets: Sequence[Asset]) -> Mapping[str, Asset]:
    """Inventory assets by address (one spelling)."""
    return assets_by_address(assets)
