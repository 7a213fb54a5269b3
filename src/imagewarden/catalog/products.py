"""Vendor and product aliases: 'GE Healthcare', 'GE HealthCare' and 'GEHC' are one vendor."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from imagewarden.model import ProductEntry


def alias_key(text: str) -> str:
    """Compare names without case, punctuation or corporate suffixes."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    filler = {"inc", "ltd", "llc", "gmbh", "ag", "co", "corp", "corporation", "the", "plc", "sa"}
    return " ".join(w for w in words if w not in filler)


@dataclass(frozen=True, slots=True)
class NormalisedProduct:
    """A vendor and model as the dictionary spells them."""

    vendor: str
    model: str
    vendor_known: bool
    model_known: bool


class ProductDictionary:
    """Vendor and product names with their aliases, for normalising inventories."""

    def __init__(self, entries: Iterable[ProductEntry]) -> None:
        self.entries: tuple[ProductEntry, ...] = tuple(entries)
        self._vendors: dict[str, ProductEntry] = {}
        self._products: dict[tuple[str, str], str] = {}
        self._cpe_vendors: dict[str, ProductEntry] = {}
        self.collisions: list[str] = []
        for entry in self.entries:
            for cpe_vendor in entry.cpe_vendors:
                owner = self._cpe_vendors.setdefault(cpe_vendor, entry)
                if owner.vendor != entry.vendor:
                    self.collisions.append(
                        f"CPE vendor {cpe_vendor!r} names both {owner.vendor!r} and "
                        f"{entry.vendor!r}"
                    )
            for spelling in (entry.vendor, *entry.aliases):
                key = alias_key(spelling)
                other = self._vendors.get(key)
                if other is not None and other.vendor != entry.vendor:
                    self.collisions.append(
                        f"vendor alias {spelling!r} names both {other.vendor!r} and "
                        f"{entry.vendor!r}"
                    )
                self._vendors[key] = entry
            for product in entry.products:
                for spelling in (product.name, *product.aliases, *product.models):
                    product_key = (entry.vendor, alias_key(spelling))
                    known = self._products.get(product_key)
                    if known is not None and known != product.name:
                        self.collisions.append(
                            f"{entry.vendor} product alias {spelling!r} names both {known!r} "
                            f"and {product.name!r}"
                        )
                    self._products[product_key] = product.name

    def vendor(self, text: str) -> ProductEntry | None:
        """The dictionary entry for a vendor name or alias, or None."""
        return self._vendors.get(alias_key(text)) if text.strip() else None

    def cpe_vendor(self, cpe_vendor: str) -> ProductEntry | None:
        """The company an NVD CPE vendor string names ('gehealthcare' -> GE HealthCare).

        A string listed under ``cpe_vendors`` decides; otherwise the string read as a name
        ('orthanc-server' -> 'orthanc server') goes through the vendor aliases.
        """
        listed = self._cpe_vendors.get(cpe_vendor.lower())
        if listed is not None:
            return listed
        return self.vendor(cpe_vendor.replace("_", " ").replace("-", " "))

    def normalise(self, vendor: str, model: str) -> NormalisedProduct:
        """Canonical vendor and model names; unknown names come back trimmed, not guessed."""
        entry = self.vendor(vendor)
        if entry is None:
            return NormalisedProduct(vendor.strip(), model.strip(), False, False)
        canonical_model = self._products.get((entry.vendor, alias_key(model)))
        if canonical_model is None:
            return NormalisedProduct(entry.vendor, model.strip(), True, False)
        return NormalisedProduct(entry.vendor, canonical_model, True, True)
