"""The one way CLI tests run ``imagewarden``: in-process, failing the test on any crash.

A command that raises an unexpected exception exits 4 ("this is a bug"); ``invoke`` fails
the test then (with the traceback) unless the test expects code 4, so ``assert code == 1``
can never pass on a crash.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from imagewarden.cli.app import app

runner = CliRunner()
INTERNAL_ERROR = 4


@dataclass(frozen=True)
class Ran:
    """What one command did."""

    code: int
    stdout: str
    stderr: str


def invoke(
    *args: str | Path,
    db: Path | str | None = None,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Ran:
    """Run ``imagewarden [--db DB] ARGS``; fails the test if the command crashed."""
    argv = [str(a) for a in args]
    if db is not None:
        argv = ["--db", str(db), *argv]
    result = runner.invoke(app, ["--debug", *argv], input=input, env=dict(env or {}))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        detail = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"imagewarden {' '.join(argv)} raised:\n{detail}")
    if result.exit_code == INTERNAL_ERROR:
        raise AssertionError(
            f"imagewarden {' '.join(argv)} hit an internal error (exit 4):\n{result.stderr}"
        )
    return Ran(result.exit_code, result.stdout, result.stderr)


def expect(code: int, *args: str | Path, db: Path | str | None = None, **kw: object) -> Ran:
    """``invoke`` and assert the exit code, showing the output when it differs."""
    ran = invoke(*args, db=db, **kw)  # type: ignore[arg-type]
    assert ran.code == code, f"exit {ran.code}, expected {code}\n{ran.stdout}\n{ran.stderr}"
    return ran
