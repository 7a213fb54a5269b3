"""Helpers shared by the inventory tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.inventory import ImportContext, InventoryInputError, Problem, read_inventory
from imagewarden.model import Inventory

HEADER = "id,site,name,type"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def load(directory: Path, name: str, content: str | bytes, context: ImportContext) -> Inventory:
    return read_inventory(write(directory, name, content), context)


def fail(
    directory: Path, name: str, content: str | bytes, context: ImportContext
) -> InventoryInputError:
    """The error importing this content raises (the test fails if it imports)."""
    path = write(directory, name, content)
    with pytest.raises(InventoryInputError) as info:
        read_inventory(path, context)
    return info.value


def only(error: InventoryInputError) -> Problem:
    assert len(error.problems) == 1, str(error)
    return error.problems[0]


def facts(inventory: Inventory, subject_id: str) -> dict[str, object]:
    return {o.name: o.value for o in inventory.observations if o.subject_id == subject_id}
