"""The inventory capability's application API: import inventory files, all or nothing.

Every file is read and validated before any is written, so one bad file stops them all; each
file is then one transaction and one audit entry (``inventory.import``) naming the file.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.inventory.errors import InventoryInputError, Problem
from imagewarden.inventory.interface import ImportContext
from imagewarden.inventory.reader import read_inventory
from imagewarden.model import Location, UserInputError
from imagewarden.store import ImportSummary

if TYPE_CHECKING:
    from imagewarden.app.workspace import Workspace

MAX_UPLOAD = 50 * 1024 * 1024
"""Bytes of one uploaded inventory file."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """What one file added to the store."""

    name: str
    sites: int
    assets: int
    summary: ImportSummary


def import_inventory(
    workspace: Workspace, files: Sequence[Path], *, now: dt.datetime | None = None
) -> tuple[ImportedFile, ...]:
    """Import inventory files (CSV or JSON); a file with any error writes nothing at all."""
    context = ImportContext(workspace.catalog, observed_at=now or dt.datetime.now(dt.UTC))
    inventories = [(path, read_inventory(path, context)) for path in files]
    done = []
    for path, inventory in inventories:
        summary = workspace.store.save_inventory(
            inventory, actor=workspace.actor, source=f"file {path.name}"
        )
        done.append(ImportedFile(path.name, len(inventory.sites), len(inventory.assets), summary))
    return tuple(done)


def _upload_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    return cleaned[:120]


def import_upload(
    workspace: Workspace, name: str, content: bytes, *, now: dt.datetime | None = None
) -> ImportedFile:
    """Import one uploaded file; errors name it by its (cleaned) upload name, with lines."""
    if len(content) > MAX_UPLOAD:
        raise UserInputError(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
    shown = _upload_name(name)
    with tempfile.TemporaryDirectory(prefix="imagewarden-upload-") as folder:
        path = Path(folder) / shown
        path.write_bytes(content)
        try:
            return import_inventory(workspace, [path], now=now)[0]
        except InventoryInputError as error:
            raise InventoryInputError(
                [_renamed(p, str(path), shown) for p in error.problems],
                truncated=error.truncated,
            ) from None
        except UserInputError as error:
            raise UserInputError(str(error).replace(str(path), shown).replace(folder, "")) from None


def _renamed(problem: Problem, path: str, shown: str) -> Problem:
    where = problem.location
    file = shown if where.file == path else where.file.replace(path, shown)
    return Problem(Location(file, where.line, where.column, where.field), *problem[1:])
