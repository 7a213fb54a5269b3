"""Errors of the store that are not the user's input: the database or the machine."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """The database cannot do what was asked now (locked, unreachable, full, read-only).

    An infrastructure problem, not a user mistake and not a bug: exit code 3.
    """


class LockTimeout(StoreUnavailable):
    """Another process held a lock this one needed for longer than it could wait."""

    def __init__(self, name: str, waited: float) -> None:
        self.name = name
        self.waited = waited
        super().__init__(
            f"another {name} is running on this database; gave up after waiting {waited:g} s"
        )
