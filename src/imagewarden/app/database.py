"""The database itself: create it, upgrade its schema, and say where it stands."""

from __future__ import annotations

from dataclasses import dataclass

from imagewarden.app.workspace import open_store, schema
from imagewarden.store import SchemaState, Store, UpgradeOutcome, display_url, resolve_url


@dataclass(frozen=True, slots=True)
class Initialised:
    """Where ``init`` created (or found) the database."""

    url: str
    """The database's URL with the password hidden."""


def initialise(db: str | None = None) -> Initialised:
    """Create the database with every capability's tables (or upgrade an older one)."""
    with open_store(db, create=True):
        pass
    return Initialised(display_url(resolve_url(db)))


def upgrade(db: str | None = None) -> UpgradeOutcome:
    """Migrate the database to this version's schema; an SQLite file is copied aside first."""
    return Store.upgrade(db, schema=schema())


def status(db: str | None = None) -> SchemaState:
    """The database's revisions against this version's schema (changes nothing)."""
    from imagewarden.store.database import create_db_engine
    from imagewarden.store.errors import translated
    from imagewarden.store.schema_versions import state

    engine = create_db_engine(resolve_url(db))
    try:
        with translated():
            return state(engine, schema())
    finally:
        engine.dispose()
