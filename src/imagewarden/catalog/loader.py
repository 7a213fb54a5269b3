"""Load catalog YAML into validated entries, with errors that name the file, line and field."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from imagewarden.catalog.interface import Catalog
from imagewarden.catalog.lifecycle import OsTable
from imagewarden.catalog.products import ProductDictionary
from imagewarden.catalog.sections import CatalogSection
from imagewarden.model import (
    Check,
    Framework,
    Location,
    OsLifecycle,
    ProductEntry,
    Safeguard,
    UserInputError,
)
from imagewarden.model.checklist import Checklist
from imagewarden.readers.limits import check_size
from imagewarden.readers.yaml import load_yaml

EntryT = TypeVar("EntryT", bound=BaseModel)
IdentifiedT = TypeVar("IdentifiedT", Check, Safeguard, Framework, Checklist)


def default_catalog_dir() -> Path:
    """The catalog shipped inside the package."""
    return Path(str(resources.files("imagewarden.catalog") / "data"))


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        check_size(str(path), path.stat().st_size)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read catalog file: {exc}", Location(str(path))) from None
    return load_yaml(text, str(path))


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def _entries(path: Path, model: type[EntryT]) -> Iterator[EntryT]:
    data, node = _read_yaml(path)
    if data is None:
        return
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise UserInputError("expected a list of entries", Location(str(path), 1))
    for index, (item, item_node) in enumerate(zip(data, node.value, strict=True)):
        line = item_node.start_mark.line + 1
        try:
            yield model.model_validate(item)
        except ValidationError as exc:
            entry_id = item.get("id") or item.get("name") if isinstance(item, dict) else None
            label = f"entry {index + 1}" + (f" {entry_id}" if entry_id else "")
            raise UserInputError(
                f"{label}: {_describe(exc)}", Location(str(path), line, field=model.__name__)
            ) from None


def read_entries(path: Path, model: type[EntryT], *, missing_ok: bool = False) -> list[EntryT]:
    """Every entry of a YAML list file, validated; errors name the file, line and field.

    For capabilities that keep their own catalog data beside the core catalog.
    """
    if missing_ok and not path.exists():
        return []
    return list(_entries(path, model))


def _single(path: Path, model: type[EntryT]) -> EntryT:
    data, _ = _read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UserInputError(_describe(exc), Location(str(path), field=model.__name__)) from None


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def _unique(entries: list[tuple[Path, IdentifiedT]], kind: str) -> dict[str, IdentifiedT]:
    result: dict[str, IdentifiedT] = {}
    where: dict[str, Path] = {}
    for path, entry in entries:
        value = entry.id
        if value in result:
            raise UserInputError(
                f"duplicate {kind} {value} (first defined in {where[value]})", Location(str(path))
            )
        result[value] = entry
        where[value] = path
    return result


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_catalog(root: Path | None = None, sections: Iterable[CatalogSection[Any]] = ()) -> Catalog:
    """Load and schema-validate a catalog directory (the shipped one by default).

    Cross-references (check -> safeguard, safeguard -> framework id, facts) are checked by
    ``imagewarden.catalog.validate``; loading only guarantees each entry is well formed.
    """
    root = root or default_catalog_dir()
    if not root.is_dir():
        raise UserInputError("catalog directory not found", Location(str(root)))
    checks = [(f, c) for f in _files(root / "checks") for c in _entries(f, Check)]
    safeguards = [(f, s) for f in _files(root / "safeguards") for s in _entries(f, Safeguard)]
    frameworks = [(f, _single(f, Framework)) for f in _files(root / "frameworks")]
    os_rows = list(_entries(root / "os_lifecycle.yaml", OsLifecycle))
    products = list(_entries(root / "products.yaml", ProductEntry))
    checklists = [(f, _single(f, Checklist)) for f in _files(root / "checklists")]
    return Catalog(
        checks=_unique(checks, "check"),
        safeguards=_unique(safeguards, "safeguard"),
        frameworks=_unique(frameworks, "framework"),
        os_table=OsTable(os_rows),
        products=ProductDictionary(products),
        version=_digest(root),
        checklists=_unique(checklists, "checklist"),
        root=root,
        sections={section.name: section for section in sections},
    )
