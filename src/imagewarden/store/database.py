"""Database URLs and engines: resolution, SQLite tuning, and file creation rules."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from imagewarden.model import UserInputError

DB_ENV = "IMAGEWARDEN_DB"
DEFAULT_DB_FILE = "imagewarden.db"

SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds an SQLite writer waits for another writer before 'database is locked'
(``IMAGEWARDEN_DB_BUSY_TIMEOUT`` overrides it)."""
BUSY_TIMEOUT_ENV = "IMAGEWARDEN_DB_BUSY_TIMEOUT"


def busy_timeout() -> float:
    """Seconds to wait for a locked SQLite database: the environment's value or the default."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else SQLITE_BUSY_TIMEOUT
    except ValueError:
        raise UserInputError(f"{BUSY_TIMEOUT_ENV} must be a number of seconds") from None


WRITE = {"imagewarden_write": True}
"""Execution options of a connection that will write: on SQLite its transactions begin with
BEGIN IMMEDIATE, taking the write lock up front. A transaction that read first and then
writes cannot wait for the lock (SQLite reports 'database is locked' at once to avoid a
deadlock), so every writer asks for it before its first read."""

_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^@/\s]*)@", re.I)


def mask_credentials(text: str) -> str:
    """``text`` with the user and password of every URL in it replaced by ``***``."""
    return _CREDENTIALS.sub(lambda m: f"{m.group('scheme')}***@", text)


def resolve_url(db: str | None) -> str:
    """The SQLAlchemy URL for ``--db``, then ``$IMAGEWARDEN_DB``, then ./imagewarden.db.

    A value without '://' is a path to an SQLite file.
    """
    value = db or os.environ.get(DB_ENV) or DEFAULT_DB_FILE
    if "://" in value:
        try:
            make_url(value)
        except (ArgumentError, ValueError):
            raise UserInputError(
                f"invalid database URL: {mask_credentials(value)}", hint=f"--db or {DB_ENV}"
            ) from None
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def display_url(url: str) -> str:
    """The URL as it may be shown or logged: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return mask_credentials(url)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_sqlite_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (it will hold personal data);
    SQLite gives its -wal and -shm files the same permissions."""
    if not path.parent.is_dir():
        raise UserInputError(f"folder {path.parent} does not exist", hint="--db")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN cannot say IMMEDIATE; _sqlite_begin issues it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while an assessment writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    write = connection.get_execution_options().get("imagewarden_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; a driver that is not installed is the user's error (exit 2)."""
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ArgumentError, ImportError):
        raise UserInputError(
            f"unsupported database URL or driver not installed: {display_url(url)}",
            hint=f"--db or {DB_ENV}; e.g. postgresql+psycopg://host/db or a file path",
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine
