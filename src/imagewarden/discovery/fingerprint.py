"""Name the product behind a DICOM peer from its implementation UID and version name.

The patterns are catalog data (catalog/data/discovery/implementations.yaml), validated here
with a schema so a broken pattern is reported with its file and entry, not at scan time.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from imagewarden.catalog.loader import default_catalog_dir
from imagewarden.discovery.interface import Product
from imagewarden.model import Location, UserInputError, versions


class Implementation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    vendor: str
    product: str
    uid_prefix: str | None = None
    version_name: str | None = None
    supported_from: str | None = None
    why: str = ""
    source: str

    @field_validator("version_name")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("supported_from")
    @classmethod
    def _numeric(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+(\.\d+)*", value):
            raise ValueError("supported_from is a dotted number such as 3.6.8")
        return value


def is_outdated(version: str, supported_from: str | None) -> bool | None:
    if not supported_from or not re.match(r"\d", version):
        return None
    return versions.compare(version, supported_from) < 0


def implementations_path() -> Path:
    return default_catalog_dir() / "discovery" / "implementations.yaml"


def load_implementations(path: Path | None = None) -> tuple[Implementation, ...]:
    path = path or implementations_path()
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserInputError(f"cannot read implementations: {exc}", Location(str(path))) from None
    if not isinstance(data, list):
        raise UserInputError("expected a list of implementations", Location(str(path), 1))
    entries = []
    for index, item in enumerate(data):
        try:
            entries.append(Implementation.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UserInputError(
                f"entry {index + 1}: {where}: {first['msg']}", Location(str(path))
            ) from None
    return tuple(entries)


@cache
def _shipped() -> tuple[Implementation, ...]:
    return load_implementations()


def by_id(product_id: str) -> Implementation | None:
    return next((e for e in _shipped() if e.id == product_id), None)


def identify(uid: str, version_name: str) -> Product | None:
    """The stack behind an implementation UID/version name, or None when unknown."""
    for entry in _shipped():
        if entry.uid_prefix is None or not (
            uid == entry.uid_prefix or uid.startswith(entry.uid_prefix + ".")
        ):
            continue
        version = ""
        if entry.version_name:
            match = re.match(entry.version_name, version_name)
            if match:
                version = ".".join(v for v in match.groupdict().values() if v is not None)
        return Product(
            entry.vendor,
            entry.product,
            version,
            is_outdated(version, entry.supported_from) if version else None,
        )
    return None


def product(product_id: str, version: str) -> Product | None:
    entry = by_id(product_id)
    if entry is None:
        return None
    return Product(entry.vendor, entry.product, version, is_outdated(version, entry.supported_from))
