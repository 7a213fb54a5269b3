"""Zones: where each host belongs, from the inventory (or, for strangers, its address)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from imagewarden.model import Asset, AssetCategory, AssetType, NetworkZone
from imagewarden.traffic.addresses import canonical, is_internal


class Zone(StrEnum):
    """The zones of an imaging segmentation plan, most protected first."""

    MODALITY = "modality"
    ARCHIVE = "archive"
    READING = "reading"
    AI = "ai"
    VENDOR_ACCESS = "vendor-access"
    ENTERPRISE = "enterprise"
    INTERNET = "internet"

    @property
    def label(self) -> str:
        """How the zone is named in reports."""
        return _LABELS[self]

    @property
    def protected(self) -> bool:
        """The policy governs traffic to and from hosts of this zone."""
        return self not in (Zone.ENTERPRISE, Zone.INTERNET)


_LABELS = {
    Zone.MODALITY: "Modalities",
    Zone.ARCHIVE: "Archives (PACS/VNA)",
    Zone.READING: "Reading workstations",
    Zone.AI: "AI",
    Zone.VENDOR_ACCESS: "Vendor access",
    Zone.ENTERPRISE: "Enterprise",
    Zone.INTERNET: "Internet and cloud",
}

_BY_CATEGORY = {
    AssetCategory.MODALITY: Zone.MODALITY,
    AssetCategory.WORKSTATION: Zone.MODALITY,
    AssetCategory.ARCHIVE: Zone.ARCHIVE,
    AssetCategory.VIEWER: Zone.READING,
    AssetCategory.AI: Zone.AI,
    AssetCategory.CLOUD: Zone.INTERNET,
    AssetCategory.REMOTE_ACCESS: Zone.VENDOR_ACCESS,
    AssetCategory.INFORMATION_SYSTEM: Zone.ENTERPRISE,
    AssetCategory.INTEGRATION: Zone.ENTERPRISE,
    AssetCategory.NETWORK: Zone.ENTERPRISE,
    AssetCategory.UNKNOWN: Zone.ENTERPRISE,
}


def zone_of(asset: Asset | None, address: str) -> Zone:
    """The zone of a host: from its asset record, else internet or enterprise by address.

    A reporting workstation reads images, so it joins the reading zone; a cloud service, or
    an AI application hosted in the cloud, is outside the network (internet and cloud).
    """
    if asset is None:
        return Zone.ENTERPRISE if is_internal(address) else Zone.INTERNET
    if not is_internal(address) or asset.network_zone is NetworkZone.CLOUD:
        return Zone.INTERNET
    if asset.type is AssetType.REPORTING:
        return Zone.READING
    return _BY_CATEGORY[asset.type.category]


def assets_by_address(assets: Iterable[Asset]) -> dict[str, Asset]:
    """Each inventory address (in one spelling) and the asset that has it."""
    found: dict[str, Asset] = {}
    for asset in assets:
        for address in asset.ip_addresses:
            found.setdefault(canonical(address), asset)
    return found


def known_ae_titles(assets: Iterable[Asset]) -> frozenset[str]:
    """Every AE title the inventory gives a DICOM service (compared case-insensitively)."""
    return frozenset(
        s.ae_title.strip().upper() for a in assets for s in a.services if s.ae_title.strip()
    )


def zone_members(
    addresses: Iterable[str], owners: Mapping[str, Asset]
) -> dict[Zone, list[tuple[str, Asset | None]]]:
    """Addresses grouped by zone, each with its asset (None for a host not in the inventory)."""
    grouped: dict[Zone, list[tuple[str, Asset | None]]] = {z: [] for z in Zone}
    for address in sorted(set(addresses)):
        asset = owners.get(address)
        grouped[zone_of(asset, address)].append((address, asset))
    return grouped
