"""How a discovery batch changes the inventory: new unmanaged assets, services, observations.

A host already in the inventory (matched by any of its addresses, in canonical form) keeps
its record and its other services; a service found on a port replaces the record of that
port (keeping what the inventory declared and discovery cannot see: the AE title, internet
exposure). A DICOM service whose AE title nobody declared gets the one the device's REST API
advertises for that port (Orthanc's /system), if any. A host nobody listed becomes a new
asset flagged ``managed=False`` with type ``unknown``, so the report shows it as something to
reconcile.

Observations (source ``probed``) are replaced only where the batch is authoritative (see
``facts.py``): on each port it probed to the end, the facts its profile measures there; on a
host whose default credentials it tried, that one asset fact. A port that is now closed keeps
its service record but loses its probed facts (they are unknown again). Nothing else is
touched: not the site's facts, not another collector's measured facts.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from imagewarden.discovery.addresses import canonical_text
from imagewarden.discovery.batch import DiscoveryBatch, TargetResult
from imagewarden.discovery.facts import measured, measured_on_host
from imagewarden.discovery.interface import Product, TargetStatus
from imagewarden.model import (
    Asset,
    AssetType,
    FactValue,
    Observation,
    ObservationSource,
    Service,
    ServiceProtocol,
    Site,
    SubjectKind,
)
from imagewarden.store import ObservationBatch

_AUTHORITATIVE = (TargetStatus.ANSWERED, TargetStatus.CLOSED)


def discovered_asset_id(host: str) -> str:
    """The id of the unmanaged asset discovery creates for ``host``."""
    return "discovered-" + host.replace(".", "-").replace(":", "-")


def discovered_site(site_id: str) -> Site:
    """The site discovery creates when the scope names one the store does not have."""
    return Site(id=site_id, name=f"Discovered ({site_id})", kind="discovered")


@dataclass(frozen=True)
class Subject:
    """Where one target's facts are stored."""

    asset_id: str | None
    """None when the host is unknown and nothing was found on it."""
    service_key: str | None
    """The service's key (``asset:protocol/port``), when a service was found."""


@dataclass(frozen=True)
class MergePlan:
    """Everything ``apply`` writes, worked out before anything is written."""

    site: Site
    new_site: bool
    new_assets: tuple[Asset, ...]
    """Unmanaged assets for hosts nobody listed, with their services."""
    updated_assets: tuple[Asset, ...]
    """Known assets with the services found merged in (and, when unmanaged, the product)."""
    replaced_ports: Mapping[str, frozenset[int]]
    """Per updated asset: the ports whose service records are replaced."""
    observations: tuple[ObservationBatch, ...]
    subjects: Mapping[tuple[str, int], Subject] = field(default_factory=dict)
    """Per (host, port) probed: where its facts went."""

    @property
    def observation_count(self) -> int:
        """Observations written."""
        return sum(len(b.observations) for b in self.observations)


def _best_product(results: Iterable[TargetResult]) -> Product | None:
    """A product named by REST (e.g. Orthanc) beats a DICOM toolkit (e.g. DCMTK)."""
    products = [p for r in results if (p := r.found_product()) is not None]
    rest = [p for p in products if p.name == "Orthanc"]
    ranked = rest or products
    return ranked[0] if ranked else None


def _advertised(results: Iterable[TargetResult]) -> dict[int, str]:
    """DICOM port -> AE title, as a REST API on the same host reports them (e.g. Orthanc)."""
    found: dict[int, str] = {}
    for r in results:
        title, port = r.facts.get("rest.dicom_ae_title"), r.facts.get("rest.dicom_port")
        if isinstance(title, str) and isinstance(port, int) and not isinstance(port, bool):
            found[port] = title
    return found


def _service(result: TargetResult, existing: Service | None, advertised: str = "") -> Service:
    facts = result.facts

    def known(name: str, old: bool | None) -> bool | None:
        value = facts.get(name)
        return value if isinstance(value, bool) else old

    protocol = result.protocol or ServiceProtocol.OTHER
    same = existing if existing is not None and existing.protocol is protocol else None
    declared = same.ae_title if same else ""
    return Service(
        protocol=protocol,
        port=result.port,
        tls=known("service.tls", same.tls if same else None),
        # What the inventory declared and a probe cannot see stays as declared; a DICOM
        # service's AE title nobody declared is the one the device advertises, if any.
        ae_title=declared or (advertised if protocol is ServiceProtocol.DICOM else ""),
        internet_exposed=same.internet_exposed if same else None,
        auth_required=known("service.auth_required", same.auth_required if same else None),
        admin_interface=known("service.admin_interface", same.admin_interface if same else None),
    )


class _Observations:
    """Observations grouped by the fact names their subjects are replaced for."""

    def __init__(self, batch: DiscoveryBatch) -> None:
        self._now = batch.finished_at
        self._collector = batch.collector
        self._groups: dict[frozenset[str], tuple[list[tuple[SubjectKind, str]], list[Observation]]]
        self._groups = defaultdict(lambda: ([], []))

    def cover(
        self, kind: SubjectKind, subject: str, names: frozenset[str], facts: Mapping[str, FactValue]
    ) -> None:
        # A fact recorded is always replaced next time, even one outside the profile's set.
        group = names | frozenset(facts)
        if not group:
            return
        subjects, observations = self._groups[group]
        subjects.append((kind, subject))
        observations.extend(
            Observation(
                kind, subject, name, value, ObservationSource.PROBED, self._now, self._collector
            )
            for name, value in sorted(facts.items())
        )

    def batches(self) -> tuple[ObservationBatch, ...]:
        return tuple(
            ObservationBatch(ObservationSource.PROBED, tuple(obs), tuple(subjects), names)
            for names, (subjects, obs) in sorted(self._groups.items(), key=lambda i: sorted(i[0]))
        )


def plan(batch: DiscoveryBatch, known_assets: Sequence[Asset], site: Site | None) -> MergePlan:
    """What applying ``batch`` to a store holding ``known_assets`` (and ``site``) writes."""
    options = batch.options()
    by_host: dict[str, list[TargetResult]] = defaultdict(list)
    for result in batch.results:
        if result.status in _AUTHORITATIVE:
            by_host[canonical_text(result.host)].append(result)
    # Targets carry canonical addresses; an inventory may spell one differently (::ffff:...).
    owner = {canonical_text(ip): a for a in known_assets for ip in a.ip_addresses}
    target_site = site or discovered_site(batch.site)
    new_assets: list[Asset] = []
    updated: list[Asset] = []
    replaced: dict[str, frozenset[int]] = {}
    subjects: dict[tuple[str, int], Subject] = {}
    observations = _Observations(batch)

    for host, results in sorted(by_host.items()):
        found = [r for r in results if r.found]
        existing = owner.get(host)
        if existing is None and not found:
            for r in results:
                subjects[(r.host, r.port)] = Subject(None, None)
            continue  # an unknown host with nothing listening: nothing to record
        old_services = existing.services if existing is not None else ()
        advertised = _advertised(found)
        services = {
            r.port: _service(
                r,
                next((s for s in old_services if s.port == r.port), None),
                advertised.get(r.port, ""),
            )
            for r in found
        }
        product = _best_product(found)
        if existing is None:
            asset = Asset(
                id=discovered_asset_id(host),
                site_id=target_site.id,
                name=f"Discovered host {host}",
                type=AssetType.UNKNOWN,
                vendor=product.vendor if product else "",
                model=product.name if product else "",
                software_version=product.version if product else "",
                ip_addresses=(host,),
                managed=False,
                services=tuple(sorted(services.values(), key=lambda s: s.port)),
            )
            new_assets.append(asset)
        else:
            kept = [s for s in existing.services if s.port not in services]
            merged = tuple(sorted([*kept, *services.values()], key=lambda s: (s.port, s.protocol)))
            asset = dataclasses.replace(existing, services=merged)
            if not existing.managed and product is not None:
                # Discovery owns an unmanaged asset's identity; the inventory owns the rest.
                asset = dataclasses.replace(
                    asset, vendor=product.vendor, model=product.name,
                    software_version=product.version,
                )  # fmt: skip
            if services or asset != existing:
                updated.append(asset)
                replaced[asset.id] = frozenset(services)
        host_names: frozenset[str] = frozenset()
        host_facts: dict[str, FactValue] = {}
        for r in results:
            names = measured(r.kind, options)
            host_names |= measured_on_host(r.kind, options)
            host_facts.update(r.asset_facts)
            keys = {s.key(asset.id) for s in old_services if s.port == r.port}
            service = services.get(r.port)
            if service is not None:
                key = service.key(asset.id)
                observations.cover(SubjectKind.SERVICE, key, names, r.facts)
                keys.discard(key)
            for stale in sorted(keys):  # the port's earlier service: its probed facts go
                observations.cover(SubjectKind.SERVICE, stale, names, {})
            subjects[(r.host, r.port)] = Subject(
                asset.id, service.key(asset.id) if service is not None else None
            )
        observations.cover(SubjectKind.ASSET, asset.id, host_names, host_facts)

    return MergePlan(
        site=target_site,
        new_site=site is None and bool(new_assets),
        new_assets=tuple(new_assets),
        updated_assets=tuple(updated),
        replaced_ports=replaced,
        observations=observations.batches(),
        subjects=subjects,
    )
