"""JSON from outside, with bounded nesting and size.

Nesting is checked on ijson's ``basic_parse`` events (an iterative C parser that builds no
prefix strings), so a document nested a million levels deep costs constant memory and is
refused before any recursive parser sees it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import FILE_BYTES, JSON_DEPTH, LimitExceeded

_OPEN = frozenset(("start_map", "start_array"))
_CLOSE = frozenset(("end_map", "end_array"))


def bounded_events(
    stream: IO[bytes], source: str, *, max_depth: int | None = None
) -> Iterator[tuple[str, Any]]:
    """ijson ``basic_parse`` events of ``stream``, refusing nesting deeper than the limit.

    Malformed JSON raises UserInputError naming ``source``.
    """
    limit = JSON_DEPTH.value() if max_depth is None else max_depth
    depth = 0
    try:
        for event, value in ijson.basic_parse(stream, use_float=True):
            if event in _OPEN:
                depth += 1
                if depth > limit:
                    raise LimitExceeded(JSON_DEPTH, source)
            elif event in _CLOSE:
                depth -= 1
            yield event, value
    except ijson.JSONError as exc:
        # The parser's message spans lines (it quotes the text and draws an arrow under
        # it): its first line only, which quotes nothing of the file.
        raise UserInputError(f"not valid JSON: {first_line(str(exc))}", Location(source)) from None


def check_depth(data: bytes, source: str, *, max_depth: int | None = None) -> None:
    """Refuse ``data`` if its JSON nesting is deeper than the limit (or it is malformed)."""
    import io

    for _ in bounded_events(io.BytesIO(data), source, max_depth=max_depth):
        pass


def load_json_bytes(data: bytes, source: str, *, max_depth: int | None = None) -> Any:
    """Parse JSON ``data`` after checking its nesting; errors name ``source`` and the line."""
    check_depth(data, source, max_depth=max_depth)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise UserInputError(
            f"not valid JSON: {exc.msg}", Location(source, exc.lineno, exc.colno)
        ) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise UserInputError(f"not valid JSON: {type(exc).__name__}", Location(source)) from None


def load_json_file(path: Path, *, max_depth: int | None = None) -> Any:
    """A whole JSON file, size and nesting bounded."""
    try:
        size = path.stat().st_size
        if size > FILE_BYTES.value():
            raise LimitExceeded(FILE_BYTES, str(path), f"{size:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise UserInputError(f"cannot read file: {exc.strerror}", Location(str(path))) from None
    return load_json_bytes(data, str(path), max_depth=max_depth)


def stream_items(
    stream: IO[bytes], source: str, key: str | None, *, max_depth: int | None = None
) -> Iterator[Any]:
    """Stream the values of a JSON document, one at a time, nesting bounded.

    With ``key``, each element of the array under the top-level ``key`` (an NVD or KEV
    ``vulnerabilities`` list) is yielded as soon as it is complete, so memory holds one
    element, not the file; other top-level values are skipped. Without ``key``, the whole
    document is yielded once. Unlike ``ijson.items``, no prefix strings are built, so a
    deeply nested document costs time and memory in proportion to its size, and nesting
    deeper than the limit is refused (``LimitExceeded``). Malformed JSON raises
    ``UserInputError`` naming ``source``.
    """
    limit = JSON_DEPTH.value() if max_depth is None else max_depth
    whole = key is None
    depth = 0
    top_key: Any = None
    in_list = False  # inside the array under the top-level key
    stack: list[Any] = []  # containers of the value being built, outermost first
    keys: list[Any] = []  # the current key of each map in ``stack``
    try:
        for event, value in ijson.basic_parse(stream, use_float=True):
            if event == "map_key":
                if stack:
                    keys[-1] = value
                elif depth == 1:
                    top_key = value
            elif event == "start_map" or event == "start_array":
                depth += 1
                if depth > limit:
                    raise LimitExceeded(JSON_DEPTH, source)
                if stack or whole or (in_list and depth == 3):
                    new: Any = {} if event == "start_map" else []
                    if stack:
                        parent = stack[-1]
                        if parent.__class__ is list:
                            parent.append(new)
                        else:
                            parent[keys[-1]] = new
                    stack.append(new)
                    keys.append(None)
                elif depth == 2 and top_key == key and event == "start_array":
                    in_list = True
            elif event == "end_map" or event == "end_array":
                depth -= 1
                if stack:
                    done = stack.pop()
                    keys.pop()
                    if not stack:
                        yield done
                elif in_list and depth == 1:
                    in_list = False
            elif stack:
                parent = stack[-1]
                if parent.__class__ is list:
                    parent.append(value)
                else:
                    parent[keys[-1]] = value
            elif whole or (in_list and depth == 2):
                yield value
    except ijson.JSONError as exc:
        raise UserInputError(f"not valid JSON: {first_line(str(exc))}", Location(source)) from None


def first_line(text: str, limit: int = 100) -> str:
    """The first line of a parser's message, cut short: parsers quote the input after it."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
