"""Errors a user can cause and fix. The CLI turns these into a message and exit code 2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where in an input the problem is. Lines and columns count from 1."""

    file: str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.field:
            text += f" ({self.field})"
        return text


class UserInputError(Exception):
    """Bad input from the user: a file, an option or a value. Never a bug."""

    def __init__(self, message: str, location: Location | None = None, hint: str = "") -> None:
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InfrastructureError(Exception):
    """The machine, the database or the network could not do the work; not the user's input
    and not a bug (a locked or full database, an unreachable server, a full disk).

    Messages are one line for a person and never quote SQL or stored rows.
    """
