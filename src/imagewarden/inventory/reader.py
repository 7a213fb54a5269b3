"""Import an inventory file with the importer its name asks for."""

from __future__ import annotations

from pathlib import Path

from imagewarden.inventory.csv_format import CsvImporter
from imagewarden.inventory.errors import single_problem
from imagewarden.inventory.interface import ImportContext, InventoryImporter
from imagewarden.inventory.json_format import JsonImporter
from imagewarden.model import Inventory, Location

IMPORTERS: tuple[InventoryImporter, ...] = (CsvImporter(), JsonImporter())


def supported_suffixes() -> tuple[str, ...]:
    """File suffixes an importer exists for."""
    return tuple(suffix for importer in IMPORTERS for suffix in importer.suffixes)


def importer_for(path: Path) -> InventoryImporter:
    """The importer for ``path``'s suffix (any case), or a user error naming the supported ones."""
    suffix = path.suffix.lower()
    for importer in IMPORTERS:
        if suffix in importer.suffixes:
            return importer
    shown = f"{path.suffix!r}" if path.suffix else "no suffix"
    raise single_problem(
        Location(str(path)),
        f"cannot import a file with {shown}",
        "supported: " + ", ".join(supported_suffixes()) + " (see docs/inventory-format.md)",
    )


def read_inventory(path: Path, context: ImportContext) -> Inventory:
    """Read and validate a whole inventory file: a complete ``Inventory`` or an
    ``InventoryInputError`` listing every problem (nothing is half-imported)."""
    return importer_for(path).read(path, context)
