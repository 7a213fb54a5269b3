"""The catalog as the rest of the product sees it: read-only lookups over validated data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from imagewarden.catalog.lifecycle import OsTable
from imagewarden.catalog.products import ProductDictionary
from imagewarden.catalog.sections import CatalogSection
from imagewarden.model import Check, Framework, Safeguard, UserInputError
from imagewarden.model.checklist import Checklist

T = TypeVar("T")


@dataclass(frozen=True)
class Catalog:
    """Checks, safeguards, frameworks and reference tables, keyed by their stable ids."""

    checks: Mapping[str, Check]
    safeguards: Mapping[str, Safeguard]
    frameworks: Mapping[str, Framework]
    os_table: OsTable
    products: ProductDictionary
    version: str
    """Digest of the catalog content, recorded with every assessment."""
    checklists: Mapping[str, Checklist] = field(default_factory=dict)
    """Leadership checklists by URN (governance capability; catalog/data/checklists)."""

    root: Path | None = None
    """The catalog folder the data was read from."""
    sections: Mapping[str, CatalogSection[Any]] = field(default_factory=dict)
    """Capability sections this catalog can load (by name), read on first use."""
    _loaded: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def section(self, spec: CatalogSection[T]) -> T:
        """The data of one capability section, read once from this catalog's root."""
        if spec.name not in self._loaded:
            if self.root is None:
                raise UserInputError(f"catalog section {spec.name!r}: no catalog folder")
            self._loaded[spec.name] = spec.load(self.root / spec.name)
        data: T = self._loaded[spec.name]
        return data

    def safeguards_for(self, check: Check) -> tuple[Safeguard, ...]:
        """The safeguards a check recommends that are in this catalog."""
        return tuple(self.safeguards[s] for s in check.safeguards if s in self.safeguards)
