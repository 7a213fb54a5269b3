"""How inventory sources plug in: an importer turns one file into a complete Inventory.

Importers never write to the store. They read the whole file, validate every row, and either
return a complete ``Inventory`` or raise ``InventoryInputError`` listing what is wrong, so that
the store can write all of it in one transaction or nothing at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from imagewarden.catalog import Catalog
from imagewarden.model import Inventory


@dataclass(frozen=True, slots=True)
class ImportContext:
    """What an importer needs besides the file: the catalog and the import time."""

    catalog: Catalog
    """Supplies the product dictionary and OS lifecycle table used to normalise names."""
    observed_at: dt.datetime
    """Time stamped on every observation from this import."""


class InventoryImporter(Protocol):
    """Reads one inventory format into a validated Inventory."""

    suffixes: tuple[str, ...]
    """File name endings this importer reads, e.g. ('.csv',)."""

    def read(self, path: Path, context: ImportContext) -> Inventory:
        """The inventory in ``path``; raises UserInputError naming file, line, field."""
        ...
