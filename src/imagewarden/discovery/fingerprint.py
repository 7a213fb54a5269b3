"""Name the product behind a peer from what it announces, with the catalog's fingerprints.

A DICOM peer names its stack by implementation class UID and version name; a REST API names
its product itself. The patterns and support baselines are catalog data
(``catalog_data.Implementation``), handed in by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from imagewarden.discovery.catalog_data import DiscoveryData, Implementation
from imagewarden.discovery.interface import Product
from imagewarden.model import versions
from imagewarden.render.labels import product_label


def is_outdated(version: str, supported_from: str | None) -> bool | None:
    """Whether ``version`` is older than the baseline; None when either is not a version."""
    if not supported_from or not re.match(r"\d", version):
        return None
    return versions.compare(version, supported_from) < 0


def identify(
    implementations: Sequence[Implementation], uid: str, version_name: str
) -> Product | None:
    """The stack behind an implementation UID/version name, or None when unknown."""
    for entry in implementations:
        if entry.uid_prefix is None or not (
            uid == entry.uid_prefix or uid.startswith(entry.uid_prefix + ".")
        ):
            continue
        version = ""
        if entry.version_name:
            match = re.match(entry.version_name, version_name)
            if match:
                version = ".".join(v for v in match.groupdict().values() if v is not None)
        return Product(
            entry.vendor,
            entry.product,
            version,
            is_outdated(version, entry.supported_from) if version else None,
        )
    return None


def product(data: DiscoveryData, product_id: str, version: str) -> Product | None:
    """The catalog's product ``product_id`` at ``version`` (None when the catalog lacks it)."""
    entry = data.implementation(product_id)
    if entry is None:
        return None
    return Product(entry.vendor, entry.product, version, is_outdated(version, entry.supported_from))


def display_name(found: Product) -> str:
    """Vendor and product as one name, without saying the vendor twice: 'Orthanc', not
    'Orthanc Orthanc'; 'OFFIS DCMTK'."""
    return product_label(found.vendor, found.name)
