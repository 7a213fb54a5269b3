"""JSON from outside, with bounded nesting and size.

Nesting is checked on ijson's ``basic_parse`` events (an iterative C parser that builds no
prefix strings), so a document nested a million levels deep costs constant memory and is
refused before any recursive parser sees it.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import ijson
import msgspec

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import FILE_BYTES, JSON_DEPTH, LimitExceeded

_OPEN = frozenset(("start_map", "start_array"))
_CLOSE = frozenset(("end_map", "end_array"))
T = TypeVar("T")


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


# --- fast path: whole items decoded by msgspec from raw bytes --------------------------------

_WS = rb"[ \t\n\r]*"
_SCALAR = (
    rb'(?:"[ !#-\[\]-~]*"'  # printable ASCII without escapes: nothing to validate
    rb"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"
)
_SEPARATOR = re.compile(_WS + rb"," + _WS + rb"(?=\{)")
_WHITESPACE = b" \t\n\r"
_STRING = re.compile(rb'"[^"]*"')
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
FAST_BLOCK = 4 * 1024 * 1024
"""Bytes read at a time by ``FastArray`` (one decoded chunk holds about this much)."""
FAST_MAX_CHUNK = 16 * 1024 * 1024
"""An item larger than this is left to the streaming reader."""
_TRIES = 4
_NO_CUT = object()
_REFUSED = object()


def nesting_at_most(data: bytes, levels: int) -> bool:
    """True when valid JSON text ``data`` nests at most ``levels`` deep (``{}`` is one level).

    Runs at the speed of ``bytes`` methods: escaped backslashes and quotes are removed, then
    everything but quotes and brackets, then string contents (``""`` pairs first: an empty
    string or two strings with no bracket between them), and each ``replace("[]", "")`` then
    peels exactly one level.
    """
    skeleton = data
    if b"\\" in skeleton:
        skeleton = skeleton.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = skeleton.translate(_BRACKETS, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = _STRING.sub(b"", skeleton)  # strings holding brackets: rare
    for _ in range(max(levels, 0)):
        if not skeleton:
            return True
        skeleton = skeleton.replace(b"[]", b"")
    return not skeleton


class _Joined(io.RawIOBase):
    """``head`` then the rest of ``tail``: where the streaming reader takes over."""

    def __init__(self, head: bytes, tail: IO[bytes]) -> None:
        super().__init__()
        self.head = head
        self.tail = tail

    def readable(self) -> bool:
        """Always readable."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all with -1)."""
        if size is None or size < 0:
            data, self.head = self.head + self.tail.read(), b""
            return data
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.tail.read(size)

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from ``read``."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class FastArray(Generic[T]):
    """The array under a top-level ``key`` decoded by msgspec a few MiB at a time.

    msgspec decodes only whole, valid chunks: a chunk ends where an item ends, and a cut
    chosen wrongly (inside a string, or deeper) cannot decode, because the chunk starts at
    an item boundary. A chunk is used only when its nesting is provably within the limit.
    Anything else (a header this cannot skip safely, malformed or unexpected data, an item
    over ``FAST_MAX_CHUNK``, a record the caller refuses with ``give_back``) ends the fast
    path: ``rest()`` is then the document from the first item not yet used, for the exact,
    streaming reader (``stream_items``), which gives the errors.
    """

    def __init__(
        self,
        stream: IO[bytes],
        key: str,
        decoder: msgspec.json.Decoder[list[T]],
        *,
        max_depth: int | None = None,
    ) -> None:
        self._stream = stream
        self._key = key.encode()
        self._decoder = decoder
        self._levels = (JSON_DEPTH.value() if max_depth is None else max_depth) - 2
        self._buffer = b""
        self._inside = False  # at an item boundary inside the array
        self._used = b""  # the last chunk handed out, until the next one is asked for

    def _header(self) -> bool:
        self._buffer = self._stream.read(FAST_BLOCK)
        header = re.compile(
            rb"\A" + _WS + rb"\{(?:" + _WS + rb'"[A-Za-z0-9_]*"' + _WS + rb":" + _WS
            + _SCALAR + _WS + rb",)*?" + _WS + rb'"' + re.escape(self._key) + rb'"'
            + _WS + rb":" + _WS + rb"\[" + _WS + rb"(?=\{)"
        )  # fmt: skip
        found = header.match(self._buffer)
        if found is None:
            return False
        self._buffer = self._buffer[found.end() :]
        self._inside = True
        return True

    def _cuts(self, data: bytes, final: bool) -> Iterator[tuple[int, int]]:
        """(end of chunk, start of what follows) candidates, last first."""
        if final:
            # "...} ] }" closes the last item, the array and the document.
            closing = data.rstrip(_WHITESPACE)
            if closing.endswith(b"}"):
                closing = closing[:-1].rstrip(_WHITESPACE)
                if closing.endswith(b"]"):
                    closing = closing[:-1].rstrip(_WHITESPACE)
                    if closing.endswith(b"}"):
                        # The array's end stays: the streaming reader checks what follows.
                        yield len(closing), len(closing)
        position = len(data)
        for _ in range(_TRIES):
            end = data.rfind(b"}", 0, position)
            while end >= 0 and not _SEPARATOR.match(data, end + 1):
                end = data.rfind(b"}", 0, end)
            if end < 0:
                return
            after = _SEPARATOR.match(data, end + 1)
            assert after is not None
            yield end + 1, after.end()
            position = end

    def batches(self) -> Iterator[list[T]]:
        """Decoded chunks of items, in order, until the fast path ends (see the class)."""
        if not self._header():
            return
        while True:
            more = self._stream.read(FAST_BLOCK)
            data = self._buffer + more if more else self._buffer
            if more and len(data) < FAST_BLOCK:
                self._buffer = data
                continue
            decoded = self._decode(data, final=not more)
            if decoded is _NO_CUT and more and len(data) <= FAST_MAX_CHUNK:
                self._buffer = data  # no item ends in it yet: read on
                continue
            if not isinstance(decoded, tuple):
                self._buffer = data
                return
            items, cut = decoded
            self._used, self._buffer = data[:cut], data[cut:]
            yield items
            self._used = b""

    def _decode(self, data: bytes, *, final: bool) -> tuple[list[T], int] | object:
        """The items before the last cut that decodes, and where the rest starts; else
        ``_NO_CUT`` (no item ends in ``data``) or ``_REFUSED`` (for the streaming reader)."""
        tried = False
        for end, follows in self._cuts(data, final):
            tried = True
            try:
                items = self._decoder.decode(b"[" + data[:end] + b"]")
            except msgspec.ValidationError:
                return _REFUSED  # the data, not the cut: the streaming reader names the record
            except (msgspec.DecodeError, RecursionError):
                continue
            if not nesting_at_most(data[:end], self._levels):
                return _REFUSED
            return items, follows
        return _REFUSED if tried else _NO_CUT

    def give_back(self) -> None:
        """The last chunk was not used: the streaming reader starts at its first item."""
        self._buffer = self._used + self._buffer
        self._used = b""

    def rest(self) -> IO[bytes]:
        """The document from the first item not yet used, for ``stream_items``."""
        head = b'{"' + self._key + b'":[' if self._inside else b""
        return io.BufferedReader(_Joined(head + self._used + self._buffer, self._stream))
