"""inventory capability: importers (CSV, JSON) that turn a file into a validated Inventory.

Names are imported on first use (PEP 562), so loading the capability's entry point to list
its commands does not import the importers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagewarden.inventory.csv_format import CsvImporter
    from imagewarden.inventory.errors import InventoryInputError, Problem
    from imagewarden.inventory.interface import ImportContext, InventoryImporter
    from imagewarden.inventory.json_format import JsonImporter
    from imagewarden.inventory.reader import importer_for, read_inventory, supported_suffixes

_WHERE = {
    "CsvImporter": "csv_format",
    "InventoryInputError": "errors",
    "Problem": "errors",
    "ImportContext": "interface",
    "InventoryImporter": "interface",
    "JsonImporter": "json_format",
    "importer_for": "reader",
    "read_inventory": "reader",
    "supported_suffixes": "reader",
}

__all__ = [
    "CsvImporter",
    "ImportContext",
    "InventoryImporter",
    "InventoryInputError",
    "JsonImporter",
    "Problem",
    "importer_for",
    "read_inventory",
    "supported_suffixes",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"imagewarden.inventory.{module}"), name)
