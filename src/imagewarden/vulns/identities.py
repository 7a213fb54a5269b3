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

UNKNOWN_PLATFORM = Identity("", "", "", "", "os", "", "", "asset.os")
"""Stands for an asset whose operating system the inventory leaves empty."""
_WINDOWS = re.compile(r"^windows\s+(.+)$", re.I)
_PURL = re.compile(r"^pkg:([^/]+)/(?:(.+)/)?([^/@?#]+)(?:@([^?#]+))?")


def _model_identities(dictionary: ProductDictionary, asset: Asset) -> list[Identity]:
    return list(_model_names(dictionary, asset.vendor, asset.model, asset.software_version))


def _names_model(cpe_product: str, model: str) -> bool:
    """Does a CPE product string name this model ('brilliance_ict_sp', 'Brilliance iCT SP')?

    NVD sometimes puts "firmware" inside the name ('brilliance_firmware_64').
    """
    words = [w for w in alias_key(cpe_product.replace("_", " ")).split() if w != "firmware"]
    return " ".join(words) == alias_key(model)


@lru_cache(maxsize=16384)
def model_family(dictionary: ProductDictionary, vendor: str, model: str) -> str:
    """The dictionary family a model belongs to when the family groups several models.

    A dictionary product listing models, or several CPE product strings (Brilliance CT:
    brilliance_64, brilliance_ict, brilliance_ict_sp, ...), is a family; '' otherwise.
    """
    entry = dictionary.vendor(vendor) if vendor.strip() and model.strip() else None
    if entry is None:
        return ""
    key = alias_key(model)
    for product in entry.products:
        if key in {alias_key(n) for n in (product.name, *product.aliases, *product.models)}:
            return product.name if product.models or len(product.cpe_products) > 1 else ""
    return ""


@lru_cache(maxsize=16384)
def family_models(dictionary: ProductDictionary, vendor: str, model: str) -> tuple[str, ...]:
    """Every model name of the model's family and the family's own name (alias keys), longest
    first; () outside a family."""
    family = model_family(dictionary, vendor, model)
    entry = dictionary.vendor(vendor) if family else None
    product = next((p for p in entry.products if p.name == family), None) if entry else None
    if product is None:
        return ()
    names = {alias_key(m) for m in (product.name, *product.models)}
    for cpe in product.cpe_products:
        words = alias_key(cpe.replace("_", " ")).split()
        names.add(" ".join(w for w in words if w != "firmware"))
    return tuple(sorted(names - {""}, key=lambda n: (-len(n), n)))


@lru_cache(maxsize=16384)
def _model_names(
    dictionary: ProductDictionary, vendor: str, model: str, version: str
) -> tuple[Identity, ...]:
    """Memoised: an enterprise has many assets of the same product and version.

    The model as imported decides: the CPE product naming it is the asset's own; the other
    CPE products of its dictionary family are siblings, tried only for a "possible" match.
    """
    if not vendor.strip() or not model.strip():
        return ()
    entry = dictionary.vendor(vendor)
    vendors = list(entry.cpe_vendors) if entry and entry.cpe_vendors else []
    if not vendors:
        vendors = [cpe_name(entry.vendor if entry else vendor)]
    own: list[str] = []
    siblings: list[str] = []
    family = ""
    if entry is not None:
        key = alias_key(model)
        for product in entry.products:
            if key in {alias_key(n) for n in (product.name, *product.aliases, *product.models)}:
                cpes = list(product.cpe_products) or [cpe_name(product.name)]
                if len(product.cpe_products) <= 1 and not product.models:
                    own = cpes  # one CPE name: the dictionary says it is this product's
                else:
                    own = [p for p in cpes if _names_model(p, model)]
                    siblings = [p for p in cpes if p not in own]
                    family = product.name
                break
    if not own:
        own = [cpe_name(model)]
        siblings = [p for p in siblings if p not in own]
    # Device CPEs come in pairs: the firmware is vulnerable, the hardware is the platform.
    return tuple(
        Identity(
            cpe_vendor, name, version.strip(), "", "model", model.strip(), family if sib else ""
        )
        for cpe_vendor in vendors
        for products, sib in ((own, False), (siblings, True))
        for base in products
        for name in (base, f"{base}_firmware")
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
    label = " ".join(p for p in (asset.os.strip(), asset.os_version.strip()) if p)
    return [Identity("microsoft", product, ver, update, "os", label) for product, ver in names]


def _component_identities(component: Component) -> list[Identity]:
    if component.cpe:
        try:
            cpe = parse_cpe(component.cpe)
        except ValueError:
            cpe = None
        if cpe is not None:
            version = component.version or ("" if cpe.version in ("*", "-") else cpe.version)
            return [Identity(cpe.vendor, cpe.product, version, "", "sbom", component.name)]
    found = _PURL.match(component.purl) if component.purl else None
    if found:
        namespace = (found.group(2) or "").split("/")[-1]
        name = cpe_name(found.group(3))
        vendors = {cpe_name(namespace or found.group(3)), name}
        version = component.version or (found.group(4) or "")
        return [Identity(v, name, version, "", "sbom", component.name) for v in sorted(vendors)]
    if component.vendor and component.name:
        return [
            Identity(
                cpe_name(component.vendor),
                cpe_name(component.name),
                component.version,
                "",
                "sbom",
                component.name,
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
    if not asset.os.strip():
        # Unknown is not "no": an OS left empty may be any platform an AND configuration
        # names (SMBv1 on Windows); the matcher accepts such a node at a lower confidence.
        found.append(UNKNOWN_PLATFORM)
    smb_v1 = facts.get("smb.v1_enabled")
    windows = any(i.origin == "os" and i.product for i in found)
    if smb_v1 is True or (smb_v1 is None and windows):
        # NVD models SMBv1 flaws (EternalBlue) as the SMB 1.0 component on a Windows platform.
        # Unknown is not "no": a Windows asset whose SMBv1 state is not recorded is assumed
        # to run it (Windows before 10 1709 enables it by default), at a lower confidence.
        unknown = "" if smb_v1 is True else "smb.v1_enabled"  # None: left empty
        found.append(
            Identity("microsoft", "server_message_block", "1.0", "", "smb", "SMBv1", "", unknown)
        )
    for component in components:
        found.extend(_component_identities(component))
    return found
