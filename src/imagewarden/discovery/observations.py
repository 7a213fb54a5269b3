"""Turn probe results into inventory: observations (source PROBED), services, new assets.

A host already in the inventory (matched by IP address) keeps its record and its other
services; the probed services are added or replace the ones on the same port. A host nobody
listed becomes a new asset flagged ``managed=False`` with type ``unknown``, so the report shows
it as something to reconcile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from imagewarden.discovery.addresses import canonical_text
from imagewarden.discovery.interface import Product, ServiceResult
from imagewarden.model import (
    Asset,
    AssetType,
    FactValue,
    Inventory,
    Observation,
    ObservationSource,
    Service,
    ServiceProtocol,
    Site,
    SubjectKind,
)

COLLECTOR = "imagewarden discover"


def discovered_asset_id(host: str) -> str:
    return "discovered-" + host.replace(".", "-").replace(":", "-")


def _best_product(results: Iterable[ServiceResult]) -> Product | None:
    """A product named by REST (e.g. Orthanc) beats a DICOM toolkit (e.g. DCMTK)."""
    products = [r.product for r in results if r.product is not None]
    rest = [p for p in products if p.name == "Orthanc"]
    ranked = rest or products
    return ranked[0] if ranked else None


def _service(result: ServiceResult) -> Service:
    facts = result.facts
    tls = facts.get("service.tls")
    auth = facts.get("service.auth_required")
    admin = facts.get("service.admin_interface")
    return Service(
        protocol=result.protocol or ServiceProtocol.OTHER,
        port=result.target.port,
        tls=tls if isinstance(tls, bool) else None,
        auth_required=auth if isinstance(auth, bool) else None,
        admin_interface=admin if isinstance(admin, bool) else None,
    )


def _host_facts(results: Sequence[ServiceResult]) -> list[ServiceResult]:
    """Facts that need every service of a host: does a TLS DICOM host also speak plain?"""
    plain = any(
        r.protocol is ServiceProtocol.DICOM
        and r.facts.get("service.tls") is False
        and r.facts.get("dicom.association_outcome") == "accepted"
        for r in results
    )
    updated = []
    for result in results:
        if result.protocol is ServiceProtocol.DICOM and result.facts.get("service.tls") is True:
            facts = {**result.facts, "dicom.plain_on_same_host": plain}
            result = dataclasses.replace(result, facts=facts)
        updated.append(result)
    return updated


def to_inventory(
    results: Sequence[ServiceResult],
    known_assets: Sequence[Asset],
    site: Site,
    now: dt.datetime,
    collector: str = COLLECTOR,
) -> Inventory:
    """Inventory for ``Store.save_inventory``; ``collector`` is kept with each observation."""
    by_host: dict[str, list[ServiceResult]] = defaultdict(list)
    for result in results:
        if result.open and result.protocol is not None:
            by_host[result.target.host].append(result)
    # Targets carry canonical addresses; an inventory may spell one differently (::ffff:...).
    owner = {canonical_text(ip): a for a in known_assets for ip in a.ip_addresses}
    assets: list[Asset] = []
    observations: list[Observation] = []

    def observe(kind: SubjectKind, subject: str, facts: dict[str, FactValue]) -> None:
        observations.extend(
            Observation(kind, subject, name, value, ObservationSource.PROBED, now, collector)
            for name, value in sorted(facts.items())
        )

    for host, group in sorted(by_host.items()):
        found = _host_facts(group)
        services = {r.target.port: _service(r) for r in found}
        existing = owner.get(host)
        if existing is not None:
            kept = [s for s in existing.services if s.port not in services]
            merged = tuple(sorted([*kept, *services.values()], key=lambda s: s.port))
            asset = dataclasses.replace(existing, services=merged)
        else:
            product = _best_product(found)
            asset = Asset(
                id=discovered_asset_id(host),
                site_id=site.id,
                name=f"Discovered host {host}",
                type=AssetType.UNKNOWN,
                vendor=product.vendor if product else "",
                model=product.name if product else "",
                software_version=product.version if product else "",
                ip_addresses=(host,),
                managed=False,
                services=tuple(sorted(services.values(), key=lambda s: s.port)),
            )
        assets.append(asset)
        asset_facts: dict[str, FactValue] = {}
        for result in found:
            asset_facts.update(result.asset_facts)
            service = services[result.target.port]
            observe(SubjectKind.SERVICE, service.key(asset.id), dict(result.facts))
        if asset_facts:
            observe(SubjectKind.ASSET, asset.id, asset_facts)
    sites = (site,) if assets else ()
    return Inventory(sites=sites, assets=tuple(assets), observations=tuple(observations))
