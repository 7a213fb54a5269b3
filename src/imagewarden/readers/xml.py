"""XML from outside: defused (no DTD, entities or external references), nesting bounded.

``parse_xml_bytes`` builds a tree (for documents already bounded in size, such as an SBOM);
``scan_xml`` streams a document through expat with callbacks and builds nothing, so a part
of any size is checked in constant memory (a 2 GiB text node is counted, never held).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import IO, Any
from xml.etree.ElementTree import Element
from xml.parsers import expat

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import XML_DEPTH, LimitExceeded

CHUNK = 64 * 1024

StartHandler = Callable[[str, Mapping[str, str], int], None]
"""Called with (local tag name, attributes, depth) for each element start."""
EndHandler = Callable[[str, int], None]
"""Called with (local tag name, depth) for each element end."""
TextHandler = Callable[[int], None]
"""Called with the number of characters of each piece of text (never the text itself)."""


def local_name(tag: str) -> str:
    """The tag without its namespace: '{http://cyclonedx.org/schema/bom/1.5}bom' -> 'bom'."""
    return tag.rsplit("}", 1)[-1]


def _refused(construct: str, source: str) -> UserInputError:
    return UserInputError(
        f"invalid XML: {construct} refused (entities and external references are never read)",
        Location(source),
    )


def parse_xml_bytes(data: bytes, source: str, *, max_depth: int | None = None) -> Element:
    """The document's root element, parsed with defusedxml, nesting bounded.

    A DTD entity, an external reference, malformed XML or nesting deeper than the limit
    raise ``UserInputError`` (``LimitExceeded`` for the limit) naming ``source``.
    """
    limit = XML_DEPTH.value() if max_depth is None else max_depth
    depth = 0
    root: Element | None = None
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                depth += 1
                if depth > limit:
                    raise LimitExceeded(XML_DEPTH, source)
                if root is None:
                    root = element
            else:
                depth -= 1
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        message = str(exc).splitlines()[0][:100] if str(exc) else "malformed"
        raise UserInputError(f"invalid XML: {message}", Location(source, line)) from None
    except DefusedXmlException as exc:
        raise _refused(type(exc).__name__, source) from None
    if root is None:
        raise UserInputError("invalid XML: no root element", Location(source))
    return root


def scan_xml(
    stream: IO[bytes],
    source: str,
    *,
    start: StartHandler | None = None,
    end: EndHandler | None = None,
    text: TextHandler | None = None,
    max_depth: int | None = None,
    count: Callable[[int], None] | None = None,
) -> None:
    """Stream ``stream`` through expat, calling the handlers; build nothing.

    A DOCTYPE (and so any entity) is refused, nesting is bounded, and ``count`` is told the
    size of each chunk read (to bound the bytes read). Handlers may raise
    ``UserInputError`` to stop the scan.
    """
    limit = XML_DEPTH.value() if max_depth is None else max_depth
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True  # one text callback per run of text, not per line
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def on_doctype(*_args: Any) -> None:
        raise _refused("a DOCTYPE", source)

    def on_entity(*_args: Any) -> None:
        raise _refused("an entity declaration", source)

    def on_external(*_args: Any) -> int:
        raise _refused("an external entity", source)

    def on_start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > limit:
            raise LimitExceeded(XML_DEPTH, source)
        if start is not None:
            start(local_name(name), attributes, depth)

    def on_end(name: str) -> None:
        nonlocal depth
        if end is not None:
            end(local_name(name), depth)
        depth -= 1

    parser.StartDoctypeDeclHandler = on_doctype
    parser.EntityDeclHandler = on_entity
    parser.ExternalEntityRefHandler = on_external
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    if text is not None:
        parser.CharacterDataHandler = lambda data: text(len(data))
    try:
        while True:
            chunk = stream.read(CHUNK)
            if count is not None:
                count(len(chunk))
            if not chunk:
                parser.Parse(b"", True)
                return
            parser.Parse(chunk, False)
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code) if exc.code else "malformed"
        raise UserInputError(
            f"invalid XML: {message}", Location(source, exc.lineno or None)
        ) from None
