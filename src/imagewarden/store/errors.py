"""Errors of the store that are not the user's input: the database or the machine.

``translated`` turns the database driver's exceptions into one-line messages: an
infrastructure problem (exit code 3) or a user's mistake (exit code 2). Messages never quote
SQL or parameters, which may hold personal data.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from imagewarden.model import InfrastructureError, UserInputError


class StoreUnavailable(InfrastructureError):
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


# (text in the driver's message, exception to raise, message) - first match wins.
_KNOWN: tuple[tuple[str, type[Exception], str], ...] = (
    ("database is locked", StoreUnavailable, "the database is locked by another program"),
    ("database or disk is full", StoreUnavailable, "the disk holding the database is full"),
    ("disk i/o error", StoreUnavailable, "the disk holding the database failed (I/O error)"),
    ("readonly database", StoreUnavailable, "the database is read-only for this user"),
    ("read-only", StoreUnavailable, "the database is read-only for this user"),
    ("file is not a database", UserInputError, "this file is not an ImageWarden database"),
    ("malformed", StoreUnavailable, "the database file is corrupt; restore it from a backup"),
    (
        "unable to open database file",
        StoreUnavailable,
        "the database file or its folder cannot be opened for writing (read-only?)",
    ),
    ("no space left on device", StoreUnavailable, "the disk holding the database is full"),
    ("connection refused", StoreUnavailable, "the database server refused the connection"),
    ("could not translate host name", StoreUnavailable, "the database server's name is unknown"),
    ("timeout expired", StoreUnavailable, "the database server did not answer in time"),
    ("password authentication failed", UserInputError, "the database refused the login"),
    ("does not exist", UserInputError, "the database does not exist on that server"),
    ("server closed the connection", StoreUnavailable, "the database server closed the connection"),
    ("connection failed", StoreUnavailable, "cannot connect to the database server"),
    # Values a person typed that PostgreSQL cannot store or compare (SQLite accepts them).
    ("cannot contain nul", UserInputError, "a value contains a NUL character"),
    ("out of range", UserInputError, "a number is out of the range the database can store"),
    ("value too long", UserInputError, "a value is longer than the database can store"),
)


def classify(exc: BaseException) -> Exception | None:
    """The user-facing error for a database driver's exception, or None if it is a bug."""
    if isinstance(exc, NoSuchModuleError):
        return UserInputError(
            "the database URL names a driver that is not installed",
            hint="e.g. postgresql+psycopg://host/db, or an SQLite file path",
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return StoreUnavailable("the disk is full")
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    for needle, kind, message in _KNOWN:
        if needle in text:
            return kind(message)
    if exc.connection_invalidated:
        return StoreUnavailable("the connection to the database was lost")
    return None


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Re-raise database driver errors as StoreUnavailable or UserInputError."""
    try:
        yield
    except (DBAPIError, NoSuchModuleError, OSError) as exc:
        known = classify(exc)
        if known is None:
            raise
        raise known from None
