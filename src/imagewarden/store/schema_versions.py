"""The schema's revisions: which migrations exist, where a database stands, and upgrades.

The core tables are the Alembic branch ``core``; each capability adds a branch of its own on
top of the core's first revision, in its own package (see ``contracts.Persistence``). A
``Schema`` lists the folders of every branch the running application knows. Opening a
database compares its revisions with the schema's heads: only ``imagewarden init`` and
``imagewarden db upgrade`` migrate; any other command refuses a database at another revision.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from imagewarden.model import UserInputError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

_ENVIRONMENT = Path(__file__).parent / "migrations"
CORE_VERSIONS = _ENVIRONMENT / "versions"


class SchemaStatus(StrEnum):
    """Where a database stands against the schema this program knows."""

    EMPTY = "empty"
    """Never initialised: no revision recorded."""
    CURRENT = "current"
    BEHIND = "behind"
    """Older revisions only: ``imagewarden db upgrade`` brings it to the current schema."""
    UNKNOWN = "unknown"
    """A revision this program does not know: written by a newer version, or foreign."""


@dataclass(frozen=True)
class Schema:
    """The migration folders of the core and of every installed capability."""

    locations: tuple[Path, ...] = (CORE_VERSIONS,)

    def config(self) -> Config:
        """Alembic configuration over every location (imports Alembic: ~0.1 s)."""
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_ENVIRONMENT))
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join(map(str, self.locations)))
        return config

    def scripts(self) -> ScriptDirectory:
        """The revision graph of every branch."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.config())

    def heads(self) -> set[str]:
        """The newest revision of every branch."""
        return set(self.scripts().get_heads())


@dataclass(frozen=True)
class SchemaState:
    """A database's revisions compared with the schema's heads."""

    status: SchemaStatus
    current: frozenset[str]
    heads: frozenset[str]

    def describe(self) -> str:
        """One line for a person."""
        have = ", ".join(sorted(self.current)) or "none"
        want = ", ".join(sorted(self.heads))
        return f"database at revision {have}; this version of ImageWarden uses {want}"


def current_revisions(engine: Engine) -> set[str]:
    """Revisions the database is at: empty when it was never initialised."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def state(engine: Engine, schema: Schema) -> SchemaState:
    """Compare the database's revisions with the schema's heads (reads, never writes)."""
    current = current_revisions(engine)
    scripts = schema.scripts()
    heads = set(scripts.get_heads())
    if not current:
        status = SchemaStatus.EMPTY
    elif current == heads:
        status = SchemaStatus.CURRENT
    elif all(_known(scripts, revision) for revision in current):
        status = SchemaStatus.BEHIND
    else:
        status = SchemaStatus.UNKNOWN
    return SchemaState(status, frozenset(current), frozenset(heads))


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def require_current(engine: Engine, schema: Schema) -> None:
    """Refuse (exit 2) a database that is not at this program's schema; change nothing."""
    found = state(engine, schema)
    if found.status is SchemaStatus.CURRENT:
        return
    if found.status is SchemaStatus.EMPTY:
        raise UserInputError("the database is not initialised", hint="run 'imagewarden init'")
    if found.status is SchemaStatus.BEHIND:
        raise UserInputError(
            f"the database schema is older than this program ({found.describe()})",
            hint="back it up, then run 'imagewarden db upgrade'",
        )
    raise UserInputError(
        f"the database was written by another version of ImageWarden ({found.describe()})",
        hint="use the version that wrote it, or a newer one",
    )


def backup_sqlite(path: Path, label: str, now: dt.datetime | None = None) -> Path:
    """A consistent copy of an SQLite database (WAL included) beside it, owner-only."""
    now = now or dt.datetime.now(dt.UTC)
    target = path.with_name(f"{path.name}.{label}-{now:%Y%m%dT%H%M%SZ}.bak")
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return target


def upgrade(engine: Engine, schema: Schema) -> None:
    """Bring the schema to the heads of every branch (creating it on an empty database)."""
    from alembic import command

    found = state(engine, schema)
    if found.status is SchemaStatus.UNKNOWN:
        require_current(engine, schema)
    config = schema.config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
