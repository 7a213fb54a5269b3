"""What an asset runs, in CPE words: its product, its Windows release, SBOM components.

The catalog's product dictionary gives the CPE vendor and product strings of known products
(GE HealthCare -> gehealthcare/ge); an unknown vendor keeps its own name, so a same-name
product of another vendor never shares a CPE key with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from imagewarden.catalog.products import ProductDictionary, alias_key
from imagewarden.model import Asset, FactValue
from imagewarden.vulns.cpe import cpe_name, parse_cpe
from imagewarden.vulns.interface import Identity
from imagewarden.vulns.sbom import SbomComponent as Component

_WINDOWS = re.compile(r"^windows\s+(.+)$", re.I)
_PURL = re.compile(r"^pkg:([^/]+)/(?:(.+)/)?([^/@?#]+)(?:@([^?#]+))?")


def _model_identities(dictionary: ProductDictionary, asset: Asset) -> list[Identity]:
    return list(_model_names(dictionary, asset.vendor, asset.model, asset.software_version))


@lru_cache(maxsize=16384)
def _model_names(
    dictionary: ProductDictionary, vendor: str, model: str, version: str
) -> tuple[Identity, ...]:
    """Memoised: an enterprise has many assets of the same product and version."""
    if not vendor.strip() or not model.strip():
        return ()
    entry = dictionary.vendor(vendor)
    vendors = list(entry.cpe_vendors) if entry and entry.cpe_vendors else []
    if not vendors:
        vendors = [cpe_name(entry.vendor if entry else vendor)]
    products: list[str] = []
    if entry is not None:
        key = alias_key(model)
        for product in entry.products:
            if key in {alias_key(n) for n in (product.name, *product.aliases)}:
                products = list(product.cpe_products) or [cpe_name(product.name)]
                break
    if not products:
        products = [cpe_name(model)]
    # Device CPEs come in pairs: the firmware is vulnerable, the hardware is the platform.
    names = [p for base in products for p in (base, f"{base}_firmware")]
    return tuple(
        Identity(cpe_vendor, product, version.strip(), "", "model")
        for cpe_vendor in vendors
        for product in names
    )


def _windows_identities(asset: Asset) -> list[Identity]:
    found = _WINDOWS.match(asset.os.strip())
    if not found:
        return []
    release = found.group(1).lower()
    version = asset.os_version.strip().lower()
    update = version if version.startswith("sp") else ""
    names: list[tuple[str, str]] = []
    server = re.match(r"server\s+(\d{4})(\s+r2)?", release)
    if server:
        names.append((f"windows_server_{server.group(1)}", "r2" if server.group(2) else ""))
    elif release.startswith(("10", "11")):
        major = release[:2]
        names.append((f"windows_{major}", ""))
        if version and not update:
            names.append((f"windows_{major}_{version}", ""))
    else:
        names.append((cpe_name(f"windows {release}"), ""))
        if release.startswith("xp"):
            names.append(("windows_xp", ""))
    return [Identity("microsoft", product, ver, update, "os") for product, ver in names]


def _component_identities(component: Component) -> list[Identity]:
    if component.cpe:
        try:
            cpe = parse_cpe(component.cpe)
        except ValueError:
            cpe = None
        if cpe is not None:
            version = component.version or ("" if cpe.version in ("*", "-") else cpe.version)
            return [Identity(cpe.vendor, cpe.product, version, "", "sbom")]
    found = _PURL.match(component.purl) if component.purl else None
    if found:
        namespace = (found.group(2) or "").split("/")[-1]
        name = cpe_name(found.group(3))
        vendors = {cpe_name(namespace or found.group(3)), name}
        version = component.version or (found.group(4) or "")
        return [Identity(v, name, version, "", "sbom") for v in sorted(vendors)]
    if component.vendor and component.name:
        return [
            Identity(
                cpe_name(component.vendor), cpe_name(component.name), component.version, "", "sbom"
            )
        ]
    return []


def identities(
    dictionary: ProductDictionary,
    asset: Asset,
    facts: Mapping[str, FactValue],
    components: Sequence[Component] = (),
) -> list[Identity]:
    """Everything the asset runs, in CPE words: model, Windows release, SMBv1, SBOM components."""
    found = _model_identities(dictionary, asset) + _windows_identities(asset)
    if facts.get("smb.v1_enabled") is True:
        # NVD models SMBv1 flaws (EternalBlue) as the SMB 1.0 component on a Windows platform.
        found.append(Identity("microsoft", "server_message_block", "1.0", "", "smb"))
    for component in components:
        found.extend(_component_identities(component))
    return found
