"""CycloneDX SBOMs (JSON and XML): the software components of one asset.

Two steps. Our own bounded, defused step reads the file first (document size, defusedxml
for XML, JSON and XML nesting and component-count limits, the document's outline checked:
``imagewarden.readers``), so nothing hostile reaches the CycloneDX library; then
cyclonedx-python-lib, the reference model of the format, reads the document. Components
keep their package URL and CPE when the SBOM gives them, so the vulnerability matcher can
look them up the same way as the asset's own product.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

from imagewarden.model import Location, UserInputError
from imagewarden.readers.json import load_json_bytes
from imagewarden.readers.limits import (
    DOCUMENT_BYTES,
    JSON_DEPTH,
    XML_DEPTH,
    Limit,
    LimitExceeded,
)
from imagewarden.readers.xml import local_name, parse_xml_bytes
from imagewarden.vulns.interface import SbomComponent

if TYPE_CHECKING:
    from cyclonedx.model.component import Component

__all__ = ["MAX_COMPONENTS", "SbomComponent", "read_sbom"]

MAX_COMPONENTS = 100_000
"""Most components (nested ones included) in one SBOM."""
_NAMESPACE = "http://cyclonedx.org/schema/bom/"


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

    doc = load_json_bytes(data, where.file)
    if not isinstance(doc, Mapping) or doc.get("bomFormat") != "CycloneDX":
        raise UserInputError("not a CycloneDX SBOM (bomFormat is not 'CycloneDX')", where)
    _limit_components(_json_outline(doc.get("components"), where), where)
    # py-serializable adds from_json/from_xml to the class at run time.
    return _from_library(lambda: Bom.from_json(doc), JSON_DEPTH, where)  # type: ignore[attr-defined]


def _xml_outline(root: Element, where: Location) -> int:
    """Depth limit, a CycloneDX root, and a name for every component; returns the count."""
    if local_name(root.tag) != "bom" or not root.tag.startswith("{" + _NAMESPACE):
        raise UserInputError("not a CycloneDX SBOM (root is not a CycloneDX <bom>)", where)
    count = 0
    stack: list[Element] = [root]
    while stack:
        element = stack.pop()
        if local_name(element.tag) == "component":
            count += 1
            if not any(local_name(c.tag) == "name" and (c.text or "").strip() for c in element):
                raise UserInputError(
                    f"component {count} has no name", Location(where.file, field="components")
                )
        stack.extend(element)
    return count


def _read_xml(data: bytes, where: Location) -> list[SbomComponent]:
    from cyclonedx.model.bom import Bom

    root = parse_xml_bytes(data, where.file)
    _limit_components(_xml_outline(root, where), where)
    return _from_library(lambda: Bom.from_xml(root), XML_DEPTH, where)  # type: ignore[attr-defined]


def _limit_components(count: int, where: Location) -> None:
    if count > MAX_COMPONENTS:
        raise UserInputError(f"more than {MAX_COMPONENTS} components", where)


def _from_library(read: Any, depth: Limit, where: Location) -> list[SbomComponent]:
    """Run the CycloneDX library's reader; its complaints become one-line user errors."""
    try:
        bom = read()
    except RecursionError:  # not expected: nesting is bounded before the library reads
        raise LimitExceeded(depth, where) from None
    except Exception as exc:  # the library raises many types for a malformed document
        text = str(exc).strip()
        problem = text.splitlines()[0][:100] if text else type(exc).__name__
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
    limit = DOCUMENT_BYTES.value()
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UserInputError(f"cannot read: {exc.strerror}", where) from None
    if len(data) > limit:
        raise LimitExceeded(DOCUMENT_BYTES, where)
    text = data.lstrip()
    if text.startswith(b"<"):
        return _read_xml(data, where)
    return _read_json(data, where)
