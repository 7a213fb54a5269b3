"""Reading possibly compressed files without trusting their stated size.

A gzip file of 5 MB can expand to 5 GiB; ``BoundedReader`` counts what comes out and stops
at the limit, and turns a truncated or corrupt stream into a one-line error.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import DECOMPRESSED_BYTES, LimitExceeded

GZIP_MAGIC = b"\x1f\x8b"


class BoundedReader(io.RawIOBase):
    """A binary stream that refuses to yield more than the limit of decompressed bytes."""

    def __init__(self, inner: IO[bytes], source: str, limit: int) -> None:
        super().__init__()
        self.inner = inner
        self.source = source
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer``; raise past the limit or on a corrupt or truncated stream."""
        try:
            data = self.inner.read(len(buffer))
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise UserInputError(
                f"the compressed file is truncated or corrupt ({type(exc).__name__})",
                Location(self.source),
            ) from None
        self.count += len(data)
        if self.count > self.limit:
            raise LimitExceeded(DECOMPRESSED_BYTES, self.source)
        buffer[: len(data)] = data
        return len(data)


@contextlib.contextmanager
def open_maybe_gzip(path: Path, *, limit: int | None = None) -> Iterator[IO[bytes]]:
    """``path`` as a binary stream, gunzipped when it starts with the gzip magic, bounded."""
    bound = DECOMPRESSED_BYTES.value() if limit is None else limit
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise UserInputError(f"cannot read file: {exc.strerror}", Location(str(path))) from None
    with handle:
        compressed = handle.read(2) == GZIP_MAGIC
        handle.seek(0)
        inner: IO[bytes] = (
            gzip.GzipFile(fileobj=handle) if compressed else handle  # type: ignore[assignment]
        )
        reader = io.BufferedReader(BoundedReader(inner, str(path), bound), 1024 * 1024)
        yield reader
