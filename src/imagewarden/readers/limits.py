"""Input limits: what any reader accepts, and how a person raises a limit.

Every limit has a documented default and an environment variable that raises (or lowers) it,
named ``IMAGEWARDEN_MAX_<NAME>`` (docs/limits.md lists them all). A file over a limit is
refused with ``LimitExceeded``: the file, the limit, and the variable that raises it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from imagewarden.model import Location, UserInputError


@dataclass(frozen=True, slots=True)
class Limit:
    """One named limit with its default and unit."""

    name: str
    default: int
    unit: str
    what: str
    """What it bounds, in a person's words."""

    @property
    def variable(self) -> str:
        """The environment variable that overrides the default."""
        return f"IMAGEWARDEN_MAX_{self.name.upper()}"

    def value(self) -> int:
        """The limit in force: the environment's value, else the default."""
        raw = os.environ.get(self.variable, "").strip()
        if not raw:
            return self.default
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            raise UserInputError(
                f"{self.variable} must be a whole number, not {raw[:20]!r}"
            ) from None
        if value <= 0:
            raise UserInputError(f"{self.variable} must be positive")
        return value


class LimitExceeded(UserInputError):
    """A file went over an input limit (exit code 2); names the limit and how to raise it."""

    def __init__(self, limit: Limit, where: Location | str, detail: str = "") -> None:
        location = where if isinstance(where, Location) else Location(where)
        text = f"{limit.what} exceeds the limit of {limit.value():,} {limit.unit}"
        if detail:
            text += f" ({detail})"
        super().__init__(text, location, hint=f"to accept it, set {limit.variable} higher")
        self.limit = limit


FILE_BYTES = Limit("file_bytes", 2 * 1024**3, "bytes", "the file's size")
DECOMPRESSED_BYTES = Limit("decompressed_bytes", 4 * 1024**3, "bytes", "the decompressed content")
JSON_DEPTH = Limit("json_depth", 64, "levels", "JSON nesting")
XML_DEPTH = Limit("xml_depth", 64, "levels", "XML nesting")
YAML_DEPTH = Limit("yaml_depth", 64, "levels", "YAML nesting")
YAML_ALIASES = Limit("yaml_aliases", 100, "aliases", "YAML alias use")
YAML_NODES = Limit("yaml_nodes", 1_000_000, "nodes", "YAML content with aliases expanded")
LINE_BYTES = Limit("line_bytes", 1024**2, "bytes", "a line")
ROWS = Limit("rows", 2_000_000, "rows", "the number of rows")
COLUMNS = Limit("columns", 512, "columns", "the number of columns")
CELL_CHARS = Limit("cell_chars", 32_768, "characters", "a cell")
SHEET_CELLS = Limit("sheet_cells", 2_000_000, "cells", "a spreadsheet's cells")
SHARED_STRINGS = Limit("shared_strings", 1_000_000, "strings", "a spreadsheet's shared strings")
SPREADSHEET_BYTES = Limit(
    "spreadsheet_bytes", 64 * 1024**2, "bytes", "a spreadsheet's decompressed content"
)
SPREADSHEET_PARTS = Limit("spreadsheet_parts", 10_000, "parts", "a spreadsheet's parts")
DOCUMENT_BYTES = Limit(
    "document_bytes", 100_000_000, "bytes", "a document read whole (SBOM, advisory)"
)

ALL = (
    FILE_BYTES,
    DECOMPRESSED_BYTES,
    JSON_DEPTH,
    XML_DEPTH,
    YAML_DEPTH,
    YAML_ALIASES,
    YAML_NODES,
    LINE_BYTES,
    ROWS,
    COLUMNS,
    CELL_CHARS,
    SHEET_CELLS,
    SHARED_STRINGS,
    SPREADSHEET_BYTES,
    SPREADSHEET_PARTS,
    DOCUMENT_BYTES,
)
"""Every limit, for docs/limits.md and its test."""


def check_size(path: str, size: int, limit: Limit = FILE_BYTES) -> None:
    """Refuse a file larger than ``limit``."""
    if size > limit.value():
        raise LimitExceeded(limit, path, f"{size:,} bytes")
