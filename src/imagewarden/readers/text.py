"""Lines of text with a bounded length: a 5 GiB line is refused, not read into memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import LINE_BYTES, LimitExceeded


def bounded_lines(
    stream: IO[bytes], source: str, *, max_bytes: int | None = None, encoding: str = "utf-8"
) -> Iterator[tuple[int, str]]:
    """(line number, text without the newline) of each line, refusing over-long lines."""
    limit = LINE_BYTES.value() if max_bytes is None else max_bytes
    number = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise LimitExceeded(LINE_BYTES, Location(source, number))
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise UserInputError(f"not {encoding} text", Location(source, number)) from None
        yield number, text.rstrip("\r\n")
