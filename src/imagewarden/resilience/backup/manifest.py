"""The backup manifest: one JSON object per line, a header line first.

JSON lines stream (a run writes each record as it arrives and a reader never loads more than a
line at a time), survive an interrupted run (the complete lines are the resume point) and
diff well. A run writes ``FILE.partial`` and renames it to ``FILE`` when it finishes, so a
finished manifest is never half-written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from imagewarden.model import Location, UserInputError
from imagewarden.readers.text import bounded_raw_lines

FORMAT = "imagewarden-backup-manifest"
VERSION = 1

Record = dict[str, Any]
_REQUIRED = ("path", "size", "sha256", "status")
# one encoder for every record: json.dumps with separators builds a new one per call
_encode_compact = json.JSONEncoder(separators=(",", ":")).encode


def partial_path(path: Path) -> Path:
    """Where a run writes the manifest until it finishes."""
    return path.with_name(path.name + ".partial")


def write_header(stream: TextIO, root: Path, created: str) -> None:
    """The first line: format, version, root and creation time."""
    header = {"format": FORMAT, "version": VERSION, "root": str(root), "created": created}
    stream.write(json.dumps(header) + "\n")


def write_record(stream: TextIO, record: Record) -> None:
    """One file's record, one line."""
    stream.write(_encode_compact(record) + "\n")


def read_records(path: Path, *, tolerate_torn_tail: bool = False) -> Iterator[Record]:
    """Yield the records of a manifest; errors name the file and line.

    ``tolerate_torn_tail`` accepts an incomplete last line (a run killed mid-write), which
    is how a partial manifest of an interrupted run may end.
    """
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise UserInputError(f"cannot read manifest: {exc.strerror}", Location(str(path))) from None
    with stream:
        lines = bounded_raw_lines(stream, str(path))
        _, first = next(lines, (1, b""))
        _check_header(path, first.decode("utf-8", errors="replace"))
        for line_no, raw in lines:
            if not raw.endswith(b"\n") and tolerate_torn_tail:
                return
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                raise UserInputError(
                    "not a JSON object", Location(str(path), line=line_no)
                ) from None
            if not isinstance(record, dict) or any(k not in record for k in _REQUIRED):
                missing = [k for k in _REQUIRED if not isinstance(record, dict) or k not in record]
                raise UserInputError(
                    f"record lacks {', '.join(missing) or 'an object'}",
                    Location(str(path), line=line_no),
                )
            yield record


def _check_header(path: Path, first: str) -> None:
    try:
        header = json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise UserInputError(
            f"not an ImageWarden backup manifest (first line must name format {FORMAT!r})",
            Location(str(path), line=1),
        )
    if header.get("version") != VERSION:
        raise UserInputError(
            f"unsupported manifest version {header.get('version')!r}",
            Location(str(path), line=1, field="version"),
        )
