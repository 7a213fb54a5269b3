"""Small builders of domain objects for tests (real types, no mocks)."""

from __future__ import annotations

import datetime as dt

from imagewarden.model import (
    Asset,
    AssetType,
    Criticality,
    FactValue,
    Inventory,
    NetworkZone,
    Observation,
    ObservationSource,
    Service,
    ServiceProtocol,
    Site,
    SubjectKind,
)

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def asset(asset_id: str = "CT-1", site: str = "north", **fields: object) -> Asset:
    values: dict[str, object] = {
        "name": f"Asset {asset_id}",
        "type": AssetType.CT,
        "vendor": "GE HealthCare",
        "model": "Revolution CT",
        "os": "Windows 7",
        "os_version": "SP1",
        "network_zone": NetworkZone.IMAGING,
        "criticality": Criticality.HIGH,
        "owner": "Biomed",
        "services": (Service(ServiceProtocol.DICOM, 104, tls=False, ae_title="CT1"),),
    }
    values.update(fields)
    return Asset(id=asset_id, site_id=site, **values)  # type: ignore[arg-type]


def fact(asset_id: str, name: str, value: FactValue, at: dt.datetime = NOW) -> Observation:
    return Observation(
        SubjectKind.ASSET, asset_id, name, value, ObservationSource.IMPORTED, at, "test"
    )


def site_fact(site_id: str, name: str, value: FactValue, at: dt.datetime = NOW) -> Observation:
    return Observation(
        SubjectKind.SITE, site_id, name, value, ObservationSource.IMPORTED, at, "test"
    )


def inventory(*assets: Asset, observations: tuple[Observation, ...] = ()) -> Inventory:
    site_ids = sorted({a.site_id for a in assets})
    sites = tuple(Site(id=s, name=s.title()) for s in site_ids)
    return Inventory(sites=sites, assets=assets, observations=observations)
