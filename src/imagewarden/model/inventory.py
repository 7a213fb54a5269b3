"""Sites, assets, services and observations: what an imaging enterprise is made of."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from imagewarden.model.enums import (
    AssetType,
    Criticality,
    NetworkZone,
    ObservationSource,
    ServiceProtocol,
    SubjectKind,
)
from imagewarden.model.facts import FactValue

ENTERPRISE_SITE_ID = "enterprise"
"""Site id of findings about the whole organisation rather than one site (e.g. phishing
results of a campaign that spans every site)."""
ENTERPRISE_SITE_NAME = "Enterprise-wide"


@dataclass(frozen=True, slots=True)
class Site:
    """A hospital, imaging centre or other location of an enterprise."""

    id: str
    name: str
    kind: str = "hospital"
    region: str = ""


@dataclass(frozen=True, slots=True)
class Service:
    """Something an asset exposes on the network."""

    protocol: ServiceProtocol
    port: int
    tls: bool | None = None
    ae_title: str = ""
    """DICOM application entity title; configuration, not patient data."""
    internet_exposed: bool | None = None
    auth_required: bool | None = None
    admin_interface: bool | None = None

    def key(self, asset_id: str) -> str:
        """Stable identity of this service within the enterprise."""
        return f"{asset_id}:{self.protocol.value}/{self.port}"


@dataclass(frozen=True, slots=True)
class Asset:
    """A device or system of the imaging service line.

    Posture facts (PHI stored, backup coverage, remote access, ...) are not fields: they are
    observations keyed by names from ``imagewarden.model.facts`` so that every collector
    (import, probe, MDS2, questionnaire) records them the same way.
    """

    id: str
    site_id: str
    name: str
    type: AssetType
    vendor: str = ""
    model: str = ""
    """The model as the inventory (or discovery) wrote it: "Brilliance iCT SP"."""
    model_family: str = ""
    """The product dictionary's name for the model's product family ("Brilliance CT"); ''
    when the dictionary does not know the model."""
    software_version: str = ""
    os: str = ""
    os_version: str = ""
    end_of_support: dt.date | None = None
    ip_addresses: tuple[str, ...] = ()
    hostname: str = ""
    segment: str = ""
    network_zone: NetworkZone = NetworkZone.UNKNOWN
    criticality: Criticality = Criticality.MEDIUM
    department: str = ""
    owner: str = ""
    managed: bool = True
    services: tuple[Service, ...] = ()


@dataclass(frozen=True, slots=True)
class Observation:
    """A fact about a subject, with where and when it was collected."""

    subject_kind: SubjectKind
    subject_id: str
    """Site id, asset id, or service key (``asset:protocol/port``)."""
    name: str
    value: FactValue
    source: ObservationSource
    observed_at: dt.datetime
    collector: str = ""
    """Which file, probe or questionnaire produced it (never patient data)."""


@dataclass(frozen=True, slots=True)
class Inventory:
    """A consistent set of sites, assets and observations, as produced by an importer."""

    sites: tuple[Site, ...] = ()
    assets: tuple[Asset, ...] = ()
    observations: tuple[Observation, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Collected:
    """What a collector (discovery, an nmap import, capture analysis) found on the network.

    Applying it never rewrites an inventory record: hosts the inventory does not list are
    added as unmanaged assets, services are added or replaced on their own port only, and the
    observations replace only what the collector itself is authoritative for.
    """

    new_sites: tuple[Site, ...] = ()
    """Sites to create if missing (e.g. the "discovered" site of a scope)."""
    new_assets: tuple[Asset, ...] = ()
    """Unmanaged assets for hosts nobody listed (kept as they are if already stored)."""
    services: tuple[tuple[str, Service], ...] = ()
    """(asset id, service) to add, or to replace the service on the same protocol and port."""


def unmanaged_asset_id(address: str) -> str:
    """The id of the unmanaged asset for a host found at ``address`` (same for every
    collector, so discovery, an nmap import and capture analysis agree on one host)."""
    return "discovered-" + address.replace(".", "-").replace(":", "-")
