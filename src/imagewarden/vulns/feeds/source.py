"""Turning a feed reader's failure into a user error that names the file and the record."""

from __future__ import annotations

from pathlib import Path

from imagewarden.model import Location, UserInputError

NOTHING_IMPORTED = "nothing from this file was imported"


def record_error(path: Path, number: int, record: str, problem: str) -> UserInputError:
    """The error for a bad record: file, record number and id, and that nothing was written."""
    where = f"record {number}" + (f" ({shorten(record, 40)})" if record else "")
    return UserInputError(f"{where}: {problem}; {NOTHING_IMPORTED}", Location(str(path)))


def shorten(value: object, limit: int = 60) -> str:
    """A value from the file cut to at most ``limit`` characters, for an error message."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def excerpt(value: object, limit: int = 60) -> str:
    """A short, quoted excerpt of a value from the file, for an error message."""
    return repr(shorten(value, limit))
