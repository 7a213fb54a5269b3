"""``imagewarden db``: where the database's schema stands, and upgrading it."""

from __future__ import annotations

import typer

from imagewarden.app.database import status as schema_status
from imagewarden.app.database import upgrade as upgrade_schema
from imagewarden.cli.formats import print_paths
from imagewarden.cli.state import err, out, state
from imagewarden.store import SchemaStatus

db_app = typer.Typer(help="The database schema: status and upgrade.", no_args_is_help=True)


@db_app.command("status")
def status(ctx: typer.Context) -> None:
    """Show the database's schema revisions against this version's (changes nothing)."""
    found = schema_status(state(ctx).db)
    out.print(found.status.value)
    err.print(found.describe())


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to this version's schema (an SQLite file is copied aside first)."""
    outcome = upgrade_schema(state(ctx).db)
    if outcome.before.status is SchemaStatus.CURRENT:
        err.print("the database is already at the current schema; nothing to do")
        return
    if outcome.backup is not None:
        err.print("copy of the database before the upgrade:")
        print_paths([outcome.backup])
    err.print(f"upgraded: {outcome.after.describe()}")
