"""The ``imagewarden`` command: a root group with one module per command group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from imagewarden import __version__
from imagewarden.cli import catalog, demo, exit_codes, findings, inventory, report, workflow
from imagewarden.cli import discover as discover_cli
from imagewarden.cli import governance as governance_cli
from imagewarden.cli import resilience as resilience_cli
from imagewarden.cli import vulns as vulns_cli
from imagewarden.cli.state import CliState, err
from imagewarden.model import UserInputError
from imagewarden.store import DB_ENV
from imagewarden.store.errors import StoreUnavailable


class _RootGroup(TyperGroup):
    """Turns user mistakes into a one-line message and exit code 2, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UserInputError as exc:
            # The message quotes user input (e.g. '[::1]:104'): escaped, never read as markup.
            err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
            raise typer.Exit(exit_codes.USAGE_OR_INPUT_ERROR) from None
        except StoreUnavailable as exc:
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(exit_codes.INFRASTRUCTURE_ERROR) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing more was written")
            raise typer.Exit(exit_codes.INTERRUPTED) from None


app = typer.Typer(
    cls=_RootGroup,
    name="imagewarden",
    help="Cybersecurity readiness for imaging departments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"imagewarden {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=DB_ENV,
            help="Database: an SQLite file path or any SQLAlchemy URL "
            "(e.g. postgresql+psycopg://host/db). Default: ./imagewarden.db.",
        ),
    ] = None,
    catalog_dir: Annotated[
        Path | None,
        typer.Option("--catalog", help="Use this catalog directory instead of the built-in one."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    state = CliState(db=db, catalog_dir=catalog_dir)
    ctx.obj = state
    ctx.call_on_close(state.close)


workflow.register(app)
report.register(app)
demo.register(app)
resilience_cli.register(app)
discover_cli.register(app)
governance_cli.register(app)
app.add_typer(inventory.import_app, name="import")
app.add_typer(findings.findings_app, name="findings")
app.add_typer(catalog.catalog_app, name="catalog")
vulns_cli.register(app, inventory.import_app, findings.findings_app)


def main() -> None:
    app()
