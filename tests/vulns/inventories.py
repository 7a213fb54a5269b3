"""Test devices and their matches against the shared feeds, for the matching tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.engine import load_view
from imagewarden.model import Asset, AssetType, NetworkZone, Observation
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.interface import VulnMatch
from imagewarden.vulns.producer import VulnProducer
from imagewarden.vulns.store.repository import VulnRepository
from tests.factories import asset, inventory

TODAY = dt.date(2026, 11, 1)


def device(asset_id: str, vendor: str, model: str, version: str, **fields: object) -> Asset:
    """An imaging-zone asset with only what matching reads set (a PACS unless ``type``)."""
    values: dict[str, object] = {
        "type": AssetType.PACS,
        "vendor": vendor,
        "model": model,
        "software_version": version,
        "os": "",
        "os_version": "",
        "services": (),
        "network_zone": NetworkZone.IMAGING,
    }
    values.update(fields)
    return asset(asset_id, **values)


def matches_against_shared_feeds(
    db: Path,
    catalog: Catalog,
    shared: Path,
    assets: Sequence[Asset],
    observations: Sequence[Observation] = (),
) -> list[VulnMatch]:
    """Every match of ``assets`` once all the shared feeds are imported into a new ``db``."""
    with open_store(str(db), create=True) as store:
        FeedImporter(VulnRepository(store), catalog, "tester").import_paths([shared])
        store.save_inventory(inventory(*assets, observations=tuple(observations)))
        view = load_view(store, catalog, TODAY)
        return VulnProducer(store, catalog).matches(view)
