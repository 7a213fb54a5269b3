"""The inventory capability's application API: inventory files, uploads and nmap scans.

Every file is read and validated before any is written, so one bad file stops them all; each
file is then one transaction and one audit entry (``inventory.import``) naming the file.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.inventory.errors import InventoryInputError, Problem
from imagewarden.inventory.interface import ImportContext
from imagewarden.inventory.nmap import NmapScan, ScannedHost, canonical_address, read_nmap
from imagewarden.inventory.reader import read_inventory
from imagewarden.model import (
    Asset,
    AssetType,
    Collected,
    FactValue,
    Location,
    Observation,
    ObservationSource,
    Service,
    Site,
    SubjectKind,
    UserInputError,
    unmanaged_asset_id,
)
from imagewarden.store import ImportSummary, ObservationBatch

if TYPE_CHECKING:
    from imagewarden.app.workspace import Workspace

MAX_UPLOAD = 50 * 1024 * 1024
"""Bytes of one uploaded inventory file."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """What one file added to the store."""

    name: str
    sites: int
    assets: int
    summary: ImportSummary


def import_inventory(
    workspace: Workspace, files: Sequence[Path], *, now: dt.datetime | None = None
) -> tuple[ImportedFile, ...]:
    """Import inventory files (CSV or JSON); a file with any error writes nothing at all."""
    context = ImportContext(workspace.catalog, observed_at=now or dt.datetime.now(dt.UTC))
    inventories = [(path, read_inventory(path, context)) for path in files]
    done = []
    for path, inventory in inventories:
        summary = workspace.store.save_inventory(
            inventory, actor=workspace.actor, source=f"file {path.name}"
        )
        done.append(ImportedFile(path.name, len(inventory.sites), len(inventory.assets), summary))
    return tuple(done)


def _upload_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    return cleaned[:120]


def import_upload(
    workspace: Workspace, name: str, content: bytes, *, now: dt.datetime | None = None
) -> ImportedFile:
    """Import one uploaded file; errors name it by its (cleaned) upload name, with lines."""
    if len(content) > MAX_UPLOAD:
        raise UserInputError(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
    shown = _upload_name(name)
    with tempfile.TemporaryDirectory(prefix="imagewarden-upload-") as folder:
        path = Path(folder) / shown
        path.write_bytes(content)
        try:
            return import_inventory(workspace, [path], now=now)[0]
        except InventoryInputError as error:
            raise InventoryInputError(
                [_renamed(p, str(path), shown) for p in error.problems],
                truncated=error.truncated,
            ) from None
        except UserInputError as error:
            raise UserInputError(str(error).replace(str(path), shown).replace(folder, "")) from None


def _renamed(problem: Problem, path: str, shown: str) -> Problem:
    where = problem.location
    file = shown if where.file == path else where.file.replace(path, shown)
    return Problem(Location(file, where.line, where.column, where.field), *problem[1:])


NMAP_COLLECTOR = "nmap import"
NMAP_FACTS = frozenset(
    {"service.product", "service.product_version", "service.tls", "dicom.accepts_any_called_ae"}
)
"""What an nmap import is authoritative for: only these facts of the services it saw."""
DISCOVERED_SITE = Site(id="discovered", name="Hosts not in the inventory", kind="discovered")


@dataclass(frozen=True, slots=True)
class NmapImported:
    """What an nmap import matched and added."""

    hosts: int
    matched_assets: int
    """Hosts that are assets of the inventory (matched by address)."""
    unmanaged_added: int
    """Hosts nobody listed, added as unmanaged assets to reconcile."""
    services: int
    facts: int


def _port_facts(host_port: object) -> dict[str, FactValue]:
    from imagewarden.inventory.nmap import ScannedPort

    assert isinstance(host_port, ScannedPort)
    facts: dict[str, FactValue] = {}
    if host_port.product:
        facts["service.product"] = host_port.product
    if host_port.version:
        facts["service.product_version"] = host_port.version
    if host_port.tls is not None:
        facts["service.tls"] = host_port.tls
    if host_port.dicom_any_called_ae is not None:
        facts["dicom.accepts_any_called_ae"] = host_port.dicom_any_called_ae
    return facts


def _index(assets: Sequence[Asset]) -> dict[str, Asset]:
    by_address: dict[str, Asset] = {}
    for asset in assets:
        for text in asset.ip_addresses:
            address = canonical_address(text)
            if address is not None:
                by_address.setdefault(address, asset)
    return by_address


def _asset_for(host: ScannedHost, known: dict[str, Asset], site_id: str) -> tuple[Asset, bool]:
    for address in host.addresses:
        if address in known:
            return known[address], False
    first = host.addresses[0]
    return (
        Asset(
            id=unmanaged_asset_id(first),
            site_id=site_id,
            name=host.hostnames[0] if host.hostnames else first,
            type=AssetType.UNKNOWN,
            ip_addresses=host.addresses,
            hostname=host.hostnames[0] if host.hostnames else "",
            managed=False,
        ),
        True,
    )


def plan_nmap_import(
    scan: NmapScan, assets: Sequence[Asset], site: Site, now: dt.datetime
) -> tuple[Collected, ObservationBatch, NmapImported]:
    """What an nmap scan changes: no database access (a site worker can run it)."""
    known = _index(assets)
    new_assets: list[Asset] = []
    services: list[tuple[str, Service]] = []
    observations: list[Observation] = []
    matched = 0
    for host in scan.hosts:
        asset, is_new = _asset_for(host, known, site.id)
        if is_new:
            new_assets.append(asset)
            for address in host.addresses:
                known[address] = asset
        else:
            matched += 1
        for port in host.ports:
            service = Service(protocol=port.protocol, port=port.port, tls=port.tls)
            services.append((asset.id, service))
            key = service.key(asset.id)
            observations += [
                Observation(
                    SubjectKind.SERVICE, key, name, value, ObservationSource.PROBED, now,
                    f"{NMAP_COLLECTOR} ({Path(scan.source).name})"[:300],
                )
                for name, value in _port_facts(port).items()
            ]  # fmt: skip
    batch = ObservationBatch(
        ObservationSource.PROBED,
        tuple(observations),
        subjects=tuple((SubjectKind.SERVICE, s.key(a)) for a, s in services),
        names=NMAP_FACTS,
    )
    collected = Collected(
        new_sites=(site,) if new_assets else (),
        new_assets=tuple(new_assets),
        services=tuple(dict.fromkeys(services)),
    )
    counts = NmapImported(
        hosts=len(scan.hosts),
        matched_assets=matched,
        unmanaged_added=len(new_assets),
        services=len(collected.services),
        facts=len(observations),
    )
    return collected, batch, counts


def import_nmap(
    workspace: Workspace,
    path: Path,
    *,
    site_id: str | None = None,
    now: dt.datetime | None = None,
) -> NmapImported:
    """Import an nmap XML scan: open ports and dicom-ping results of inventory assets, and
    hosts nobody listed as unmanaged assets (at ``site_id``, or a "discovered" site)."""
    scan = read_nmap(path)
    store = workspace.store
    site = DISCOVERED_SITE
    if site_id is not None:
        found = next((s for s in store.sites() if s.id == site_id), None)
        if found is None:
            raise UserInputError(f"unknown site {site_id!r}", hint="--site; see the inventory")
        site = found
    collected, batch, counts = plan_nmap_import(
        scan, store.assets(), site, now or dt.datetime.now(dt.UTC)
    )
    store.apply_collected(
        collected, batch, actor=workspace.actor, action="import.nmap", target=path.name
    )
    return counts
