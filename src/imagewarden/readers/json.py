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
        # The parser's message spans lines (it draws an arrow under the text): one line here.
        detail = " ".join(str(exc).split())[:120]
        raise UserInputError(f"not valid JSON: {detail}", Location(source)) from None


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
