"""CycloneDX SBOMs (JSON and XML): the software components of one asset.

Components keep their package URL and CPE when the SBOM gives them, so the vulnerability
matcher can look them up the same way as the asset's own product.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from imagewarden.model import Location, UserInputError

_MAX_BYTES = 100_000_000
_MAX_COMPONENTS = 100_000


@dataclass(frozen=True, slots=True)
class SbomComponent:
    name: str
    version: str = ""
    vendor: str = ""
    purl: str = ""
    cpe: str = ""


def _json_components(items: Any, where: Location, depth: int = 0) -> Iterator[SbomComponent]:
    if items is None:
        return
    if not isinstance(items, list) or depth > 20:
        raise UserInputError("'components' is not a list", where)
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise UserInputError(
                f"component {number} has no name", Location(where.file, field="components")
            )
        supplier = item.get("supplier") if isinstance(item.get("supplier"), Mapping) else {}
        vendor = str(
            item.get("publisher") or (supplier or {}).get("name") or item.get("group") or ""
        )
        yield SbomComponent(
            name=item["name"].strip(),
            version=str(item.get("version") or "").strip(),
            vendor=vendor.strip(),
            purl=str(item.get("purl") or "").strip(),
            cpe=str(item.get("cpe") or "").strip(),
        )
        yield from _json_components(item.get("components"), where, depth + 1)


def _read_json(data: bytes, where: Location) -> list[SbomComponent]:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserInputError(f"invalid JSON: {exc}", where) from None
    if not isinstance(doc, Mapping) or doc.get("bomFormat") != "CycloneDX":
        raise UserInputError("not a CycloneDX SBOM (bomFormat is not 'CycloneDX')", where)
    return list(_json_components(doc.get("components"), where))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _xml_components(parent: Element, where: Location) -> Iterator[SbomComponent]:
    for holder in parent:
        if _local(holder.tag) != "components":
            continue
        for number, item in enumerate(holder, start=1):
            if _local(item.tag) != "component":
                continue
            name = _child_text(item, "name")
            if not name:
                raise UserInputError(
                    f"component {number} has no name", Location(where.file, field="components")
                )
            supplier = next((c for c in item if _local(c.tag) == "supplier"), None)
            vendor = (
                _child_text(item, "publisher")
                or (_child_text(supplier, "name") if supplier is not None else "")
                or _child_text(item, "group")
            )
            yield SbomComponent(
                name=name,
                version=_child_text(item, "version"),
                vendor=vendor,
                purl=_child_text(item, "purl"),
                cpe=_child_text(item, "cpe"),
            )
            yield from _xml_components(item, where)


def _read_xml(data: bytes, where: Location) -> list[SbomComponent]:
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise UserInputError(f"invalid XML: {exc}", where) from None
    if _local(root.tag) != "bom" or "cyclonedx" not in root.tag.lower():
        raise UserInputError("not a CycloneDX SBOM (root is not a CycloneDX <bom>)", where)
    return list(_xml_components(root, where))


def read_sbom(path: Path) -> list[SbomComponent]:
    """Every component (nested ones too) of a CycloneDX JSON or XML file."""
    where = Location(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserInputError(f"cannot read: {exc.strerror}", where) from None
    if len(data) > _MAX_BYTES:
        raise UserInputError("SBOM larger than 100 MB", where)
    text = data.lstrip()
    components = _read_xml(data, where) if text.startswith(b"<") else _read_json(data, where)
    if len(components) > _MAX_COMPONENTS:
        raise UserInputError(f"more than {_MAX_COMPONENTS} components", where)
    return components
