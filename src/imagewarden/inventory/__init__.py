"""inventory capability: importers (CSV, JSON) that turn a file into a validated Inventory."""

from imagewarden.inventory.csv_format import CsvImporter
from imagewarden.inventory.errors import InventoryInputError, Problem
from imagewarden.inventory.interface import ImportContext, InventoryImporter
from imagewarden.inventory.json_format import JsonImporter
from imagewarden.inventory.reader import importer_for, read_inventory, supported_suffixes

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
