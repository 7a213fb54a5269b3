"""The catalog as the rest of the product sees it: read-only lookups over validated data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from imagewarden.catalog.lifecycle import OsTable
from imagewarden.catalog.products import ProductDictionary
from imagewarden.model import Check, Framework, Safeguard
from imagewarden.model.checklist import Checklist


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

    def safeguards_for(self, check: Check) -> tuple[Safeguard, ...]:
        return tuple(self.safeguards[s] for s in check.safeguards if s in self.safeguards)
