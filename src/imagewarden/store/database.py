"""Opening a store: URL resolution, SQLite tuning and schema migrations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from imagewarden.model import UserInputError

if TYPE_CHECKING:
    from alembic.config import Config

DB_ENV = "IMAGEWARDEN_DB"
DEFAULT_DB_FILE = "imagewarden.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


def resolve_url(db: str | None) -> str:
    """The SQLAlchemy URL for ``--db``, then ``$IMAGEWARDEN_DB``, then ./imagewarden.db.

    A value without '://' is a path to an SQLite file.
    """
    value = db or os.environ.get(DB_ENV) or DEFAULT_DB_FILE
    if "://" in value:
        try:
            make_url(value)
        except (ArgumentError, ValueError) as exc:
            raise UserInputError(f"invalid database URL: {exc}", hint=f"--db or {DB_ENV}") from None
        return value
    return f"sqlite:///{Path(value).expanduser()}"


SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds an SQLite writer waits for another writer before 'database is locked'."""
WRITE = {"imagewarden_write": True}
"""Execution options of a connection that will write: on SQLite its transactions begin with
BEGIN IMMEDIATE, taking the write lock up front. A transaction that read first and then
writes cannot wait for the lock (SQLite reports 'database is locked' at once to avoid a
deadlock), so every writer asks for it before its first read."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN cannot say IMMEDIATE; _sqlite_begin issues it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while an assessment writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    write = connection.get_execution_options().get("imagewarden_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_db_engine(url: str) -> Engine:
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise UserInputError(f"unsupported database URL: {exc}", hint=f"--db or {DB_ENV}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


# Alembic is imported where it is used: it costs a tenth of a second on every command.
def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def current_revisions(engine: Engine) -> set[str]:
    """Revisions the database is at: empty when it was never initialised."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    """Newest revisions. Each capability's tables are a branch of their own on top of the
    initial schema (branch label = capability), so capabilities migrate independently."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_alembic_config()).get_heads())


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revisions (creating it on an empty database)."""
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def check_reachable(engine: Engine, url: str) -> None:
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        safe = make_url(url).render_as_string(hide_password=True)
        raise UserInputError(f"cannot open database {safe}: {reason}") from None
