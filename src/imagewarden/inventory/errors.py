"""What is wrong with an inventory file, collected so the user can fix all of it in one go.

Importers validate the whole file and raise ``InventoryInputError`` with every problem they
found (up to ``MAX_PROBLEMS``), so nothing is imported from a file that is partly wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from imagewarden.model import Location, UserInputError

MAX_PROBLEMS = 20
"""Validation stops after this many problems: past that, the file is usually the wrong one."""

SHOWN_PROBLEMS = 10
"""How many problems ``str(InventoryInputError)`` lists; all of them are in ``.problems``."""


class Problem(NamedTuple):
    """One problem of an inventory file: where and what."""

    location: Location
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class InventoryInputError(UserInputError):
    """An inventory file cannot be imported; ``problems`` lists each reason with its place."""

    def __init__(self, problems: Iterable[Problem], *, truncated: bool = False) -> None:
        self.problems: list[Problem] = list(problems)
        if not self.problems:
            raise ValueError("InventoryInputError needs at least one problem")
        self.truncated = truncated
        first = self.problems[0]
        super().__init__(first.message, first.location, first.hint)

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems[:SHOWN_PROBLEMS]]
        hidden = len(self.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            lines.append(f"... and {hidden} more problem{'s' if hidden > 1 else ''}")
        if self.truncated:
            lines.append(f"validation stopped after {MAX_PROBLEMS} problems")
        if len(self.problems) > 1:
            lines.append("nothing was imported; fix these and import the file again")
        return "\n".join(lines)


class TooManyProblems(Exception):
    """Raised by ``Problems.add`` when the limit is reached, to stop validation early."""


class StopReading(Exception):
    """The file cannot be read further (bad encoding, binary data); problems say why."""


class Problems:
    """Collects problems for one file; stops validation once ``MAX_PROBLEMS`` are found."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.items: list[Problem] = []
        self.limit = limit
        self.truncated = False

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, location: Location, message: str, hint: str = "") -> None:
        """Record a problem (the import goes on to find the others)."""
        self.items.append(Problem(location, message, hint))
        if len(self.items) >= self.limit:
            self.truncated = True
            raise TooManyProblems

    def error(self) -> InventoryInputError:
        """The problems so far as one UserInputError."""
        return InventoryInputError(self.items, truncated=self.truncated)

    def raise_if_any(self) -> None:
        """Raise the problems found, if any: an import is all or nothing."""
        if self.items:
            raise self.error()


def single_problem(location: Location, message: str, hint: str = "") -> InventoryInputError:
    """An error for a file that failed as a whole (not found, empty, binary, ...)."""
    return InventoryInputError([Problem(location, message, hint)])
