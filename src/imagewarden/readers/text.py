"""Text from outside: lines of bounded length, and the checks every text value passes.

A 5 GiB line is refused, not read into memory. Every text field an importer stores passes
``checked_text`` (control characters refused: a NUL is stored by SQLite but refused by
PostgreSQL, so both backends refuse it here alike), and a message quotes at most
``EXCERPT_CHARS`` characters of a value (``excerpt``): it may be an e-mail address or a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import LINE_BYTES, LimitExceeded

EXCERPT_CHARS = 60
"""At most this many characters of a value are quoted in a message (it may be an e-mail
address or a name)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters refused in text: C0 but tab and line breaks, DEL and C1."""
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""The same, and line breaks: for one-line values such as names."""
CONTROL_HINT = "remove it; values may not hold control characters"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters ("..." marks a cut)."""
    shown = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(shown)


def control_character(text: str, *, line_breaks: bool = True) -> tuple[int, str] | None:
    """(index, description) of the first refused control character in ``text``, or None;
    without ``line_breaks`` a line break is refused too."""
    match = (_CONTROL if line_breaks else _CONTROL_OR_BREAK).search(text)
    if match is None:
        return None
    char = match.group()
    name = "a NUL byte" if char == "\x00" else f"control character U+{ord(char):04X}"
    return match.start(), name


def checked_text(
    value: str, what: str, location: Location | None = None, *, line_breaks: bool = True
) -> str:
    """``value`` as given, or a ``UserInputError`` naming ``what`` (a field) and the first
    control character in it (the value itself is not quoted)."""
    found = control_character(value, line_breaks=line_breaks)
    if found is not None:
        code = found[1].removeprefix("control character ")
        raise UserInputError(
            f"{what} contains a control character ({code}, character {found[0] + 1})",
            location,
            CONTROL_HINT,
        )
    return value


def bounded_raw_lines(
    stream: IO[bytes], source: str, *, max_bytes: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes with the newline if there was one) of each line, refusing
    over-long lines unread."""
    limit = LINE_BYTES.value() if max_bytes is None else max_bytes
    number = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise LimitExceeded(LINE_BYTES, Location(source, number))
        yield number, raw


def bounded_lines(
    stream: IO[bytes], source: str, *, max_bytes: int | None = None, encoding: str = "utf-8"
) -> Iterator[tuple[int, str]]:
    """(line number, text without the newline) of each line, refusing over-long lines."""
    for number, raw in bounded_raw_lines(stream, source, max_bytes=max_bytes):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise UserInputError(f"not {encoding} text", Location(source, number)) from None
        yield number, text.rstrip("\r\n")
