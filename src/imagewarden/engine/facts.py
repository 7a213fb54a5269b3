"""The fact view: every fact the checks may read, per site, asset and service.

Facts come from three places, in increasing precedence: the asset record itself, observations
(imported, probed, sniffed, answered; the newest wins), and facts the engine derives from
those with the catalog's reference tables (OS end of support, shared segments, day counts).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping

from imagewarden.catalog import Catalog
from imagewarden.contracts.producers import EnterpriseView, Facts
from imagewarden.model import (
    Asset,
    AssetCategory,
    AssetType,
    Criticality,
    FactValue,
    NetworkZone,
    Observation,
    Service,
    Site,
    SubjectKind,
)


def _latest(observations: Iterable[Observation]) -> dict[tuple[SubjectKind, str], Facts]:
    newest: dict[tuple[SubjectKind, str, str], Observation] = {}
    for obs in observations:
        key = (obs.subject_kind, obs.subject_id, obs.name)
        current = newest.get(key)
        if current is None or obs.observed_at >= current.observed_at:
            newest[key] = obs
    grouped: dict[tuple[SubjectKind, str], Facts] = defaultdict(dict)
    for (kind, subject, name), obs in newest.items():
        grouped[(kind, subject)][name] = obs.value
    return grouped


# Enum values by member, looked up per asset (``.value`` is a descriptor call).
_TYPES = {t: (t.value, t.category.value) for t in AssetType}
_CRITICALITIES = {c: c.value for c in Criticality}
_ZONES = {z: z.value for z in NetworkZone}


def _record_facts(asset: Asset) -> Facts:
    kind, category = _TYPES[asset.type]
    facts: Facts = {
        "asset.type": kind,
        "asset.category": category,
        "asset.criticality": _CRITICALITIES[asset.criticality],
        "asset.network_zone": _ZONES[asset.network_zone],
        "asset.managed": asset.managed,
    }
    optional: dict[str, FactValue | None] = {
        "asset.vendor": asset.vendor,
        "asset.model": asset.model,
        "asset.model_family": asset.model_family,
        "asset.software_version": asset.software_version,
        "asset.os": asset.os,
        "asset.os_version": asset.os_version,
        "asset.segment": asset.segment,
        "asset.owner": asset.owner,
        "asset.end_of_support": asset.end_of_support,
    }
    facts.update({k: v for k, v in optional.items() if v not in (None, "")})
    return facts


def _days_since(value: FactValue | None, today: dt.date) -> int | None:
    return (today - value).days if isinstance(value, dt.date) else None


class _Lookups:
    """The catalog's reference tables, each distinct question asked once per view."""

    def __init__(self, catalog: Catalog) -> None:
        self.os_row = functools.cache(catalog.os_table.lookup)
        vendor = catalog.products.vendor
        self.known_vendor = functools.cache(lambda name: vendor(name) is not None)


def _derive_asset(facts: Facts, asset: Asset, lookups: _Lookups, today: dt.date) -> Facts:
    """Facts the engine derives for an asset from its record, observations and the catalog."""
    derived: Facts = {}
    row = lookups.os_row(asset.os, asset.os_version)
    derived["os.known"] = row is not None
    if row is not None:
        derived["os.end_of_support"] = row.end_of_support
        derived["os.days_to_end_of_support"] = (row.end_of_support - today).days
        derived["os.past_end_of_support"] = row.end_of_support < today
    if asset.end_of_support is not None:
        derived["device.days_to_end_of_support"] = (asset.end_of_support - today).days
        derived["device.past_end_of_support"] = asset.end_of_support < today
    if asset.network_zone is not NetworkZone.UNKNOWN:
        derived["network.shared_segment"] = asset.network_zone.is_shared
    if asset.vendor:
        derived["vendor.known"] = lookups.known_vendor(asset.vendor)
    mode = facts.get("remote_access.mode")
    if isinstance(mode, str):
        derived["remote_access.enabled"] = mode != "none"
    for source, target in (
        ("patch.last_applied", "patch.days_since_last_applied"),
        ("backup.last_tested", "backup.days_since_last_test"),
    ):
        days = _days_since(facts.get(source), today)
        if days is not None:
            derived[target] = days
    return derived


def _service_facts(service: Service, observed: Facts) -> Facts:
    facts: Facts = {"service.protocol": service.protocol.value, "service.port": service.port}
    for name, value in (
        ("service.tls", service.tls),
        ("service.internet_exposed", service.internet_exposed),
        ("service.auth_required", service.auth_required),
        ("service.admin_interface", service.admin_interface),
    ):
        if value is not None:
            facts[name] = value
    facts.update(observed)
    cleartext = service.protocol.value in ("telnet", "ftp") or (
        service.protocol.value == "http" and facts.get("service.admin_interface") is True
    )
    facts["service.cleartext_admin"] = cleartext
    return facts


_HIGH = {Criticality.HIGH.value, Criticality.CRITICAL.value}
_CLOUDISH = {AssetCategory.CLOUD.value, AssetCategory.AI.value}


def _derive_site(facts: Facts, members: list[Facts], today: dt.date) -> Facts:
    """Facts the engine derives for a site from its own facts and its assets' facts."""
    derived: Facts = {}
    derived["site.imaging_asset_count"] = len(members)
    days = _days_since(facts.get("site.last_downtime_drill"), today)
    if days is not None:
        derived["site.days_since_downtime_drill"] = days
    archives = [m for m in members if m.get("asset.category") == AssetCategory.ARCHIVE.value]
    immutable = [m.get("backup.immutable") for m in archives]
    if any(value is False for value in immutable):
        derived["site.archive_without_immutable_backup"] = True
    elif immutable and all(value is True for value in immutable):
        derived["site.archive_without_immutable_backup"] = False
    by_vendor: dict[str, list[Facts]] = defaultdict(list)
    for m in members:
        is_cloud = m.get("asset.category") in _CLOUDISH and (
            m.get("asset.category") == AssetCategory.CLOUD.value
            or m.get("ai.deployment") in ("cloud", "hybrid")
        )
        if is_cloud and m.get("asset.criticality") in _HIGH and m.get("asset.vendor"):
            by_vendor[str(m["asset.vendor"])].append(m)
    derived["site.single_vendor_critical_cloud"] = any(
        len(group) >= 2 and any(m.get("ai.downtime_fallback") is False for m in group)
        for group in by_vendor.values()
    )
    return derived


def build_view(
    catalog: Catalog,
    sites: Iterable[Site],
    assets: Iterable[Asset],
    observations: Iterable[Observation],
    today: dt.date,
) -> EnterpriseView:
    """The facts of every site, asset and service as of ``today``, derived ones included."""
    return view_of(catalog, sites, assets, _latest(observations), today)


def view_of(
    catalog: Catalog,
    sites: Iterable[Site],
    assets: Iterable[Asset],
    observed: Mapping[tuple[SubjectKind, str], Facts],
    today: dt.date,
) -> EnterpriseView:
    """``build_view`` from the newest observed facts per subject (``Store.latest_facts``)."""
    site_map = {s.id: s for s in sites}
    asset_map = {a.id: a for a in assets}
    asset_facts: dict[str, Facts] = {}
    service_facts: dict[str, Facts] = {}
    members: dict[str, list[Facts]] = defaultdict(list)
    asset_derived: dict[str, Facts] = {}
    site_derived: dict[str, Facts] = {}
    lookups = _Lookups(catalog)
    for asset in asset_map.values():
        facts = _record_facts(asset)
        facts.update(observed.get((SubjectKind.ASSET, asset.id), {}))
        derived = _derive_asset(facts, asset, lookups, today)
        facts.update(derived)
        asset_facts[asset.id] = facts
        asset_derived[asset.id] = derived
        members[asset.site_id].append(facts)
        for service in asset.services:
            key = service.key(asset.id)
            service_facts[key] = _service_facts(
                service, observed.get((SubjectKind.SERVICE, key), {})
            )
    site_facts: dict[str, Facts] = {}
    for site_id in site_map:
        facts = dict(observed.get((SubjectKind.SITE, site_id), {}))
        derived = _derive_site(facts, members.get(site_id, []), today)
        facts.update(derived)
        site_facts[site_id] = facts
        site_derived[site_id] = derived
    return EnterpriseView(
        today,
        site_map,
        asset_map,
        site_facts,
        asset_facts,
        service_facts,
        derived={SubjectKind.ASSET: asset_derived, SubjectKind.SITE: site_derived},
    )
