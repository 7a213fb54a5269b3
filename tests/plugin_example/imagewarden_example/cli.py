"""The example capability's commands."""

from __future__ import annotations

import typer


def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name} from the example capability")


def crash() -> None:
    """Raise an internal error (tests that a bug exits 4)."""
    raise RuntimeError("deliberate failure")
