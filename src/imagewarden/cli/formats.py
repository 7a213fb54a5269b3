"""Output options commands share: ``--format table|json`` for every listing and
``--format text|json`` for other results (JSON on stdout), with ``--json`` kept as an alias
where a command had it; ``-o -`` for stdout where a command writes a file."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from imagewarden.cli.state import out


class ListFormat(StrEnum):
    """How a listing is shown."""

    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[
    ListFormat, typer.Option("--format", case_sensitive=False, help="table or json (stdout).")
]
JsonAlias = Annotated[bool, typer.Option("--json", help="Same as --format json.")]


class TextFormat(StrEnum):
    """How a command shows a result that is not a listing: sentences or JSON."""

    TEXT = "text"
    JSON = "json"


TextFormatOption = Annotated[
    TextFormat, typer.Option("--format", case_sensitive=False, help="text or json (on stdout).")
]


def wants_json(fmt: ListFormat, alias: bool = False) -> bool:
    """Whether the listing is asked for as JSON (``--format json`` or ``--json``)."""
    return alias or fmt is ListFormat.JSON


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (dates and other values as text)."""
    out.file.write(json.dumps(value, indent=2, default=str) + "\n")


STDOUT = Path("-")
"""``-o -``: the document goes to stdout instead of a file."""


@contextlib.contextmanager
def stdout_file(name: str) -> Iterator[Path]:
    """For ``-o -``: a private temporary file (called ``name``) to write; its text goes to
    stdout when the block ends normally, and it is removed in any case."""
    with tempfile.TemporaryDirectory(prefix="imagewarden-") as folder:
        path = Path(folder) / name
        yield path
        with path.open(encoding="utf-8") as written:  # streamed: a manifest can be large
            shutil.copyfileobj(written, out.file)


def print_paths(paths: Iterator[Path] | tuple[Path, ...] | list[Path]) -> None:
    """Written files' paths on stdout, one a line, literally (no markup or wrapping)."""
    for path in paths:
        out.file.write(f"{path}\n")
