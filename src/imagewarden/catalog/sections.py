"""Catalog sections: catalog data a capability keeps beside the core catalog.

A capability declares its sections (e.g. resilience playbooks and roles; discovery's
default-credential list and DICOM implementation fingerprints). They live under the same
catalog root as the core data (``<root>/<section name>/``), so ``--catalog DIR`` replaces
them all together, and they are read with the same safe, bounded YAML reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from imagewarden.catalog.interface import Catalog
    from imagewarden.catalog.validate import Problem

T = TypeVar("T")


def _no_problems(_data: object, _catalog: Catalog) -> list[Problem]:
    return []


@dataclass(frozen=True)
class CatalogSection(Generic[T]):
    """How to load and check one capability's catalog data."""

    name: str
    """Folder under the catalog root (and key of the loaded data)."""
    load: Callable[[Path], T]
    """Read ``<root>/<name>``; raise UserInputError naming the file, line and field."""
    validate: Callable[[T, Catalog], list[Problem]] = _no_problems
    """Cross-references against the rest of the catalog (``imagewarden catalog validate``)."""
