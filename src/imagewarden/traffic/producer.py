"""The "traffic" finding producer: what the analysed captures show, against the inventory.

Checks (catalog/data/checks/traffic.yaml, ``producer: traffic``):

* images in clear text crossing network segments (or where a segment is unknown),
* DICOM to or from internet addresses,
* unknown calling AE titles querying or retrieving from an archive,
* C-MOVE to a destination AE title that is not in the inventory,
* egress to cloud or AI services,
* HL7 in clear text.

Evidence holds addresses, AE titles, counts and segment names: never packet content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView, FindingProducer
from imagewarden.engine import score
from imagewarden.model import (
    Asset,
    AssetCategory,
    Check,
    FactValue,
    Finding,
    ServiceProtocol,
    SubjectKind,
    finding_fingerprint,
)
from imagewarden.store import Store
from imagewarden.traffic.addresses import canonical
from imagewarden.traffic.model import FlowRecord
from imagewarden.traffic.segmentation.zones import Zone, assets_by_address, known_ae_titles, zone_of
from imagewarden.traffic.store.repository import flows as stored_flows

CHECK = "urn:imagewarden:check:"
CLEARTEXT_IMAGES = CHECK + "traffic-cleartext-images-cross-segment"
DICOM_INTERNET = CHECK + "traffic-dicom-internet"
UNKNOWN_AE_QUERY = CHECK + "traffic-unknown-ae-archive-query"
MOVE_UNKNOWN_DESTINATION = CHECK + "traffic-move-to-unknown-destination"
CLOUD_AI_EGRESS = CHECK + "traffic-cloud-ai-egress"
CLEARTEXT_HL7 = CHECK + "traffic-cleartext-hl7"
CHECKS = (
    CLEARTEXT_IMAGES,
    DICOM_INTERNET,
    UNKNOWN_AE_QUERY,
    MOVE_UNKNOWN_DESTINATION,
    CLOUD_AI_EGRESS,
    CLEARTEXT_HL7,
)
MAX_LISTED = 8


def _listed(values: Sequence[str]) -> str:
    shown = list(values[:MAX_LISTED])
    if len(values) > MAX_LISTED:
        shown.append(f"and {len(values) - MAX_LISTED} more")
    return ", ".join(shown)


@dataclass
class _Hit:
    """What one subject's findings of one check accumulate over flows."""

    peers: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    count: int = 0
    notes: set[str] = field(default_factory=set)


class TrafficProducer:
    """Findings from stored flows; reads the view for assets, segments and facts."""

    name = "traffic"

    def __init__(self, checks: Mapping[str, Check], flows: Sequence[FlowRecord]) -> None:
        self.checks = checks
        self.flows = flows

    def produce(self, view: EnterpriseView) -> Iterator[Finding]:
        """Every traffic finding the flows show."""
        assets = list(view.assets.values())
        owners = assets_by_address(assets)
        known = known_ae_titles(assets)
        hits: dict[tuple[str, SubjectKind, str], _Hit] = defaultdict(_Hit)
        for flow in self.flows:
            client = owners.get(canonical(flow.client))
            server = owners.get(canonical(flow.server))
            self._clear_images(flow, client, server, hits)
            self._internet(flow, client, server, hits)
            self._unknown_query(flow, server, known, hits)
            self._unknown_move(flow, server, known, hits)
            self._cloud(flow, client, server, hits)
            self._hl7(flow, client, server, hits)
        for (check_id, kind, subject), hit in sorted(hits.items(), key=lambda i: i[0]):
            check = self.checks.get(check_id)
            finding = self._finding(check, kind, subject, hit, view, known) if check else None
            if finding is not None:
                yield finding

    # --- one method per check: each adds to ``hits`` ---

    @staticmethod
    def _service_key(asset: Asset, port: int, protocol: ServiceProtocol) -> str | None:
        for service in asset.services:
            if service.port == port and service.protocol is protocol:
                return service.key(asset.id)
        for service in asset.services:
            if service.port == port:
                return service.key(asset.id)
        return None

    def _clear_images(
        self,
        flow: FlowRecord,
        client: Asset | None,
        server: Asset | None,
        hits: dict[tuple[str, SubjectKind, str], _Hit],
    ) -> None:
        if not flow.images_in_clear or server is None:
            return
        ours, theirs = server.segment.strip(), client.segment.strip() if client else ""
        if ours and theirs and ours == theirs:
            return
        key = self._service_key(server, flow.port, ServiceProtocol.DICOM)
        if key is None:
            return
        hit = hits[(CLEARTEXT_IMAGES, SubjectKind.SERVICE, key)]
        hit.count += flow.images_in_clear
        hit.peers.add(flow.client)
        if flow.calling_ae:
            hit.titles.add(flow.calling_ae)
        hit.notes.add(f"{theirs or 'unknown segment'} -> {ours or 'unknown segment'}")

    def _internet(
        self,
        flow: FlowRecord,
        client: Asset | None,
        server: Asset | None,
        hits: dict[tuple[str, SubjectKind, str], _Hit],
    ) -> None:
        dicom = flow.protocol == "dicom" or (
            flow.protocol == "tls" and _declared(server, flow.port) is ServiceProtocol.DICOM
        )
        if not dicom:
            return
        outside_client = zone_of(None, canonical(flow.client)) is Zone.INTERNET
        outside_server = zone_of(None, canonical(flow.server)) is Zone.INTERNET
        if outside_client == outside_server:
            return
        inside = server if outside_client else client
        if inside is None:
            return
        hit = hits[(DICOM_INTERNET, SubjectKind.ASSET, inside.id)]
        hit.count += flow.connections
        hit.peers.add(flow.client if outside_client else flow.server)
        hit.notes.add("encrypted (TLS)" if flow.encrypted else "clear text")
        if flow.calling_ae:
            hit.titles.add(flow.calling_ae)

    def _unknown_query(
        self,
        flow: FlowRecord,
        server: Asset | None,
        known: frozenset[str],
        hits: dict[tuple[str, SubjectKind, str], _Hit],
    ) -> None:
        if flow.protocol != "dicom" or not flow.query_or_retrieve or server is None:
            return
        archive = server.type.category is AssetCategory.ARCHIVE or any(
            k.endswith((" pending", " success")) and k.split()[0] in ("C-FIND", "C-MOVE", "C-GET")
            for k in flow.responses
        )
        calling = flow.calling_ae.strip()
        if not archive or (calling and calling.upper() in known):
            return
        key = self._service_key(server, flow.port, ServiceProtocol.DICOM)
        if key is None:
            return
        hit = hits[(UNKNOWN_AE_QUERY, SubjectKind.SERVICE, key)]
        hit.count += flow.query_or_retrieve
        hit.peers.add(flow.client)
        hit.titles.add(calling or "(association not captured)")

    def _unknown_move(
        self,
        flow: FlowRecord,
        server: Asset | None,
        known: frozenset[str],
        hits: dict[tuple[str, SubjectKind, str], _Hit],
    ) -> None:
        if flow.protocol != "dicom" or server is None:
            return
        unknown = [d for d in flow.move_destinations if d.strip().upper() not in known]
        if not unknown:
            return
        key = self._service_key(server, flow.port, ServiceProtocol.DICOM)
        if key is None:
            return
        hit = hits[(MOVE_UNKNOWN_DESTINATION, SubjectKind.SERVICE, key)]
        hit.count += flow.requests.get("C-MOVE", 0)
        hit.peers.add(flow.client)
        hit.titles.update(unknown)

    def _cloud(
        self,
        flow: FlowRecord,
        client: Asset | None,
        server: Asset | None,
        hits: dict[tuple[str, SubjectKind, str], _Hit],
    ) -> None:
        if zone_of(client, canonical(flow.client)) is Zone.INTERNET:
            return
        to_cloud = (
            server is not None
            and server.type.category
            in (
                AssetCategory.AI,
                AssetCategory.CLOUD,
            )
            and zone_of(server, canonical(flow.server)) is Zone.INTERNET
        )
        ai_out = (
            client is not None
            and client.type.category is AssetCategory.AI
            and zone_of(None, canonical(flow.server)) is Zone.INTERNET
        )
        if not (to_cloud or ai_out) or not flow.bytes_to_server:
            return
        subject = server if to_cloud and server is not None else client
        assert subject is not None
        hit = hits[(CLOUD_AI_EGRESS, SubjectKind.ASSET, subject.id)]
        hit.count += flow.bytes_to_server
        hit.peers.add(flow.client if to_cloud else flow.server)
        hit.notes.add("encrypted (TLS)" if flow.encrypted else f"clear text ({flow.protocol})")
        hit.titles.update(flow.tls_server_names)

    def _hl7(
        self,
        flow: FlowRecord,
        client: Asset | None,
        server: Asset | None,
        hits: dict[tuple[str, SubjectKind, str], _Hit],
    ) -> None:
        messages = flow.hl7_messages_to_server + flow.hl7_messages_to_client
        if flow.protocol != "hl7" or not messages or server is None:
            return
        key = self._service_key(server, flow.port, ServiceProtocol.HL7)
        if key is None:
            return
        hit = hits[(CLEARTEXT_HL7, SubjectKind.SERVICE, key)]
        hit.count += messages
        hit.peers.add(flow.client)
        del client

    # --- findings ---

    def _finding(
        self,
        check: Check,
        kind: SubjectKind,
        subject: str,
        hit: _Hit,
        view: EnterpriseView,
        known: frozenset[str],
    ) -> Finding | None:
        asset_id = subject.rsplit(":", 1)[0] if kind is SubjectKind.SERVICE else subject
        asset = view.assets.get(asset_id)
        if asset is None:
            return None
        facts: dict[str, FactValue] = dict(view.asset_facts.get(asset_id, {}))
        if kind is SubjectKind.SERVICE:
            facts.update(view.service_facts.get(subject, {}))
        evidence = self._evidence(check.id, hit, known)
        for name in check.evidence:
            if name in facts:
                evidence[name] = facts[name]
        return Finding(
            id=finding_fingerprint(check.id, kind, subject),
            check_id=check.id,
            subject_kind=kind,
            subject_id=subject,
            site_id=asset.site_id,
            asset_id=asset.id,
            title=check.title,
            severity=check.severity,
            risk=score(check, facts, kind),
            evidence=evidence,
            safeguards=check.safeguards,
        )

    @staticmethod
    def _evidence(check_id: str, hit: _Hit, known: frozenset[str]) -> dict[str, FactValue]:
        peers = _listed(sorted(hit.peers))
        titles = _listed(sorted(hit.titles))
        notes = _listed(sorted(hit.notes))
        if check_id == CLEARTEXT_IMAGES:
            evidence: dict[str, FactValue] = {
                "traffic.images_in_clear": hit.count,
                "traffic.senders": peers,
                "traffic.segments": notes,
            }
            if titles:
                evidence["traffic.sender_ae_titles"] = titles
        elif check_id == DICOM_INTERNET:
            evidence = {
                "traffic.internet_peers": peers,
                "traffic.connections": hit.count,
                "traffic.encryption": notes,
            }
        elif check_id == UNKNOWN_AE_QUERY:
            evidence = {
                "traffic.unknown_calling_ae_titles": titles,
                "traffic.requests": hit.count,
                "traffic.clients": peers,
            }
            if not known:
                evidence["traffic.note"] = "the inventory records no AE titles at all"
        elif check_id == MOVE_UNKNOWN_DESTINATION:
            evidence = {
                "traffic.unknown_move_destinations": titles,
                "traffic.move_requests": hit.count,
                "traffic.requested_by": peers,
            }
        elif check_id == CLOUD_AI_EGRESS:
            evidence = {
                "traffic.bytes_sent": hit.count,
                "traffic.peers": peers,
                "traffic.encryption": notes,
            }
            if titles:
                evidence["traffic.server_names"] = titles
        else:
            evidence = {"traffic.hl7_messages": hit.count, "traffic.senders": peers}
        return evidence


def _declared(asset: Asset | None, port: int) -> ServiceProtocol | None:
    if asset is None:
        return None
    return next((s.protocol for s in asset.services if s.port == port), None)


def traffic_producer(store: Store, catalog: Catalog) -> FindingProducer | None:
    """The producer, or None when no capture was applied or the catalog has no traffic check."""
    checks = {c: catalog.checks[c] for c in CHECKS if c in catalog.checks}
    if not checks:
        return None
    flows = [f.flow for f in stored_flows(store)]
    return TrafficProducer(checks, flows) if flows else None
