"""Option values converted without pydantic read exactly as typer reads them: the same value,
or the same error (type and message), for every kind of option the commands use."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st

from imagewarden.cli.coercion import lighten
from imagewarden.cli.options import parse_date, parse_moment


class Colour(StrEnum):
    RED = "red"
    DARK_BLUE = "dark-blue"


app = typer.Typer()


@app.command()
def every_kind(
    paths: Annotated[list[Path], typer.Argument()],
    text: Annotated[str | None, typer.Option("--text")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1)] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8400,
    count: Annotated[int, typer.Option("--count")] = 0,
    ratio: Annotated[float | None, typer.Option("--ratio", min=0.0, max=1.0)] = None,
    hours: Annotated[float, typer.Option("--hours")] = 72.0,
    colour: Annotated[Colour, typer.Option("--colour", case_sensitive=False)] = Colour.RED,
    exact: Annotated[Colour, typer.Option("--exact")] = Colour.RED,
    on: Annotated[dt.date | None, typer.Option("--on", parser=parse_date)] = None,
    at: Annotated[dt.datetime | None, typer.Option("--at", parser=parse_moment)] = None,
    existing: Annotated[Path | None, typer.Option("--existing", exists=True)] = None,
    file: Annotated[Path | None, typer.Option("--file", dir_okay=False)] = None,
    names: Annotated[list[str] | None, typer.Option("--name")] = None,
    numbers: Annotated[list[int] | None, typer.Option("--number")] = None,
    colours: Annotated[list[Colour] | None, typer.Option("--colours")] = None,
    flag: Annotated[bool, typer.Option("--flag")] = False,
    switch: Annotated[bool, typer.Option("--switch/--no-switch")] = True,
) -> None:
    """A command with an option of every kind the commands use."""


OPTIONS = ("--text", "--jobs", "-j", "--port", "--count", "--ratio", "--hours", "--colour",
           "--exact", "--on", "--at", "--existing", "--file", "--name", "--number",
           "--colours")  # fmt: skip

NUMBERS = st.from_regex(r"\A[ +-]?[0-9_]{0,25}(\.[0-9]{0,3})?(e[+-]?[0-9]{1,3})?[ ]?\Z")
WORDS = st.sampled_from(
    ["", "-", ".", "red", "RED", "dark-blue", "Dark-Blue", "blue", "inf", "nan", "-inf",
     "1_000", "007", "2026-05-01", "2026-02-30", "2026-05-01T14:30", "2026-05-01T14:30+02:00",
     "yes", "no", "on", "off", "1", "0", "true", "x\x00y", "ü", "١٢", "/", "/etc", "/nonexistent"]
)  # fmt: skip


def _outcome(command: Any, args: list[str]) -> Any:
    """The values the command would run with, or the error it would print."""
    try:
        return command.make_context("every-kind", list(args)).params
    except typer.Exit as done:
        return ("exit", done.exit_code)
    except Exception as exc:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return (type(exc).__name__, message)


def _both(args: list[str]) -> tuple[str, str]:
    """Both outcomes, as text: a NaN equals no NaN, and its text equals its text."""
    typer_own = typer.main.get_command(app)
    light = typer.main.get_command(app)
    lighten(light)
    return repr(_outcome(light, args)), repr(_outcome(typer_own, args))


@settings(max_examples=300, deadline=None)
@given(option=st.sampled_from(OPTIONS), value=st.one_of(NUMBERS, WORDS, st.text(max_size=12)))
def test_an_option_value_reads_as_typer_reads_it(option: str, value: str) -> None:
    light, typer_own = _both([".", option, value])
    assert light == typer_own


@pytest.mark.parametrize(
    "args",
    [
        ["."],
        ["/nonexistent", "--flag", "--no-switch", "--name", "a", "--name", "b"],
        [".", "/", "--number", "1", "--number", "x", "--colours", "red", "--colours", "RED"],
        [".", "--number", "1", "--number", "-2", "--colours", "red", "--colours", "dark-blue"],
        [".", "--existing", "/nonexistent"],
        [".", "--file", "/"],
        [".", "--jobs"],
        [],
        ["--help"],
    ],
)
def test_a_command_line_reads_as_typer_reads_it(args: list[str]) -> None:
    light, typer_own = _both(args)
    assert light == typer_own


def test_the_usual_kinds_of_value_are_read_without_typer_own_conversion() -> None:
    """Only values it is unsure of go to typer's conversion, which imports pydantic."""
    light = typer.main.get_command(app)
    lighten(light)
    context = light.make_context(
        "every-kind",
        [".", "--jobs", "2", "--ratio", "0.5", "--colour", "Dark-Blue", "--on", "2026-05-01",
         "--name", "a", "--number", "3", "--text", "t", "--file", "f", "--flag"],
    )  # fmt: skip
    assert context.params["colour"] is Colour.DARK_BLUE
    assert context.params["on"] == dt.date(2026, 5, 1)
    params = [*light.params, light.get_help_option(context)]
    kinds = {type(p._runtime_param).__name__ for p in params if p._runtime_param is not None}
    assert kinds == {"_Light"}
