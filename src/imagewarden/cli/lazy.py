"""Command groups whose commands are imported only when they run.

``imagewarden --help`` lists every command from its name and one-line summary (the
capabilities' ``CommandSpec``); only the command that runs is imported. This keeps start-up
near the cost of importing typer itself, however many capabilities are installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

import typer
from typer.core import TyperGroup

from imagewarden.contracts.capability import CommandSpec

try:
    from imagewarden.cli.coercion import lighten
except ImportError:  # a typer before 0.29 converts values without pydantic: nothing to do

    def lighten(command: Any) -> None:
        """Leave ``command`` as typer built it."""


def load_command(spec: CommandSpec) -> Any:
    """The click command (or group) behind ``spec``, imported now, converting its values
    without pydantic where it can (``coercion``)."""
    module_name, _, attribute = spec.target.partition(":")
    target = getattr(importlib.import_module(module_name), attribute)
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        wrapper = typer.Typer()
        wrapper.command(spec.name)(target)
        command = typer.main.get_command(wrapper)
    lighten(command)
    return command


class LazyGroup(TyperGroup):
    """A group that knows some of its commands only by ``CommandSpec`` until they run (its
    own options, such as the root's global ones, convert their values without pydantic)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, CommandSpec] = {}
        lighten(self)

    def add_lazy(self, specs: Iterable[CommandSpec]) -> None:
        """Know these commands by name and summary; import each on first use."""
        for spec in specs:
            if spec.name in self.commands or spec.name in self.lazy:
                raise ValueError(f"two commands are named {spec.name!r}")
            self.lazy[spec.name] = spec

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.lazy:
            command = load_command(self.lazy[cmd_name])
            self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows: list[tuple[str, str]] = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        for name in names:
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy[name].summary))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
