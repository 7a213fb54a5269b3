"""CycloneDX SBOMs (JSON and XML): the software components of one asset.

Two steps. Our own bounded, defused step reads the file first (size limit, defusedxml for
XML, nesting-depth and component-count limits, the document's outline checked), so nothing
hostile reaches the CycloneDX library; then cyclonedx-python-lib, the reference model of the
format, reads the document. Components keep their package URL and CPE when the SBOM gives
them, so the vulnerability matcher can look them up the same way as the asset's own product.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from imagewarden.model import Location, UserInputError
from imagewarden.vulns.interface import SbomComponent

if TYPE_CHECKING:
    from cyclonedx.model.component import Component

__all__ = ["MAX_BYTES", "MAX_COMPONENTS", "MAX_DEPTH", "SbomComponent", "read_sbom"]

MAX_BYTES = 100_000_000
"""Largest SBOM file read."""
MAX_COMPONENTS = 100_000
"""Most components (nested ones included) in one SBOM."""
MAX_DEPTH = 64
"""Deepest nesting of JSON values or XML elements (real SBOMs nest components a few deep)."""
_NAMESPACE = "http://cyclonedx.org/schema/bom/"


def _json_depth(value: Any, limit: int) -> int:
    """The nesting depth of a parsed JSON value, without recursion; stops past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _json_outline(components: Any, where: Location) -> int:
    """Check every component (nested ones too) has a name; returns how many there are."""
    count = 0
    stack: list[Any] = [components]
    while stack:
        items = stack.pop()
        if items is None:
            continue
        if not isinstance(items, list):
            raise UserInputError("'components' is not a list", where)
        for item in items:
            count += 1
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise UserInputError(
                    f"component {count} has no name", Location(where.file, field="components")
                )
            stack.append(item.get("components"))
    return count


def _read_json(data: bytes, where: Location) -> list[SbomComponent]:
    from cyclonedx.model.bom import Bom

    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserInputError(f"invalid JSON: {str(exc)[:120]}", where) from None
    except RecursionError:
        raise UserInputError(f"JSON nested deeper than {MAX_DEPTH} levels", where) from None
    if not isinstance(doc, Mapping) or doc.get("bomFormat") != "CycloneDX":
        raise UserInputError("not a CycloneDX SBOM (bomFormat is not 'CycloneDX')", where)
    if _json_depth(doc, MAX_DEPTH) > MAX_DEPTH:
        raise UserInputError(f"JSON nested deeper than {MAX_DEPTH} levels", where)
    _limit_components(_json_outline(doc.get("components"), where), where)
    # py-serializable adds from_json/from_xml to the class at run time.
    return _from_library(lambda: Bom.from_json(doc), where)  # type: ignore[attr-defined]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_outline(root: Element, where: Location) -> int:
    """Depth limit, a CycloneDX root, and a name for every component; returns the count."""
    if _local(root.tag) != "bom" or not root.tag.startswith("{" + _NAMESPACE):
        raise UserInputError("not a CycloneDX SBOM (root is not a CycloneDX <bom>)", where)
    count = 0
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UserInputError(f"XML nested deeper than {MAX_DEPTH} levels", where)
        if _local(element.tag) == "component":
            count += 1
            if not any(_local(c.tag) == "name" and (c.text or "").strip() for c in element):
                raise UserInputError(
                    f"component {count} has no name", Location(where.file, field="components")
                )
        stack.extend((child, depth + 1) for child in element)
    return count


def _read_xml(data: bytes, where: Location) -> list[SbomComponent]:
    from cyclonedx.model.bom import Bom

    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise UserInputError(f"invalid XML: {str(exc)[:120]}", where) from None
    _limit_components(_xml_outline(root, where), where)
    return _from_library(lambda: Bom.from_xml(root), where)  # type: ignore[attr-defined]


def _limit_components(count: int, where: Location) -> None:
    if count > MAX_COMPONENTS:
        raise UserInputError(f"more than {MAX_COMPONENTS} components", where)


def _from_library(read: Any, where: Location) -> list[SbomComponent]:
    """Run the CycloneDX library's reader; its complaints become one-line user errors."""
    try:
        bom = read()
    except RecursionError:
        raise UserInputError(f"nested deeper than {MAX_DEPTH} levels", where) from None
    except Exception as exc:  # the library raises many types for a malformed document
        problem = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UserInputError(f"not a valid CycloneDX SBOM: {problem}", where) from None
    return list(_components(bom.components))


def _components(components: Iterable[Component]) -> Iterator[SbomComponent]:
    stack = [iter(components)]
    while stack:
        component = next(stack[-1], None)
        if component is None:
            stack.pop()
            continue
        supplier = component.supplier.name if component.supplier is not None else None
        vendor = component.publisher or supplier or component.group or ""
        yield SbomComponent(
            name=component.name.strip(),
            version=(component.version or "").strip(),
            vendor=vendor.strip(),
            purl=str(component.purl).strip() if component.purl is not None else "",
            cpe=(component.cpe or "").strip(),
        )
        stack.append(iter(component.components))


def read_sbom(path: Path) -> list[SbomComponent]:
    """Every component (nested ones too) of a CycloneDX JSON or XML file."""
    where = Location(str(path))
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UserInputError(f"cannot read: {exc.strerror}", where) from None
    if len(data) > MAX_BYTES:
        raise UserInputError(f"SBOM larger than {MAX_BYTES // 1_000_000} MB", where)
    text = data.lstrip()
    if text.startswith(b"<"):
        return _read_xml(data, where)
    return _read_json(data, where)
