"""The ``imagewarden`` command: a root group, core commands, and every capability's commands.

Errors end in one line and an exit code from ``exit_codes`` (README: "Exit codes"): a user's
mistake 2, the database, disk or network 3, a bug 4 (the traceback only with ``--debug``),
an interrupt 130. Messages go to stderr, data to stdout.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer

from imagewarden import __version__
from imagewarden.cli import exit_codes
from imagewarden.cli.lazy import LazyGroup
from imagewarden.contracts.capability import SHARED_GROUPS, CommandSpec

DB_ENV = "IMAGEWARDEN_DB"  # same as imagewarden.store.DB_ENV, without importing the store

CORE_COMMANDS = (
    CommandSpec(
        "init", "Create the database (or upgrade an older one).", "imagewarden.cli.workflow:init"
    ),
    CommandSpec(
        "assess", "Evaluate every check and update the findings.", "imagewarden.cli.workflow:assess"
    ),
    CommandSpec(
        "report",
        "Write the readiness report (HTML) or the findings (JSON, CSV).",
        "imagewarden.cli.report:report",
    ),
    CommandSpec(
        "board", "Write the one-page board summary (HTML and PDF).", "imagewarden.cli.report:board"
    ),
    CommandSpec(
        "demo",
        "Assess the embedded demo health system and write its reports.",
        "imagewarden.cli.demo:demo",
    ),
    CommandSpec(
        "catalog", "Inspect and validate the catalog.", "imagewarden.cli.catalog:catalog_app"
    ),
    CommandSpec(
        "db", "The database schema: status and upgrade.", "imagewarden.cli.database:db_app"
    ),
    CommandSpec("assets", "List assets as stored.", "imagewarden.cli.assets:assets_app"),
    CommandSpec("audit", "The audit trail of every change.", "imagewarden.cli.audit:audit_app"),
    CommandSpec("user", "Accounts of the web workspace.", "imagewarden.cli.users:user_app"),
    CommandSpec(
        "serve", "Serve the shared web workspace and its JSON API.", "imagewarden.cli.serve:serve"
    ),
    CommandSpec(
        "worker",
        "Run a site's jobs inside its own scope file (a site worker).",
        "imagewarden.cli.worker:worker",
    ),
    CommandSpec(
        "centre",
        "Apply the site workers' signed results to the database.",
        "imagewarden.cli.worker:centre",
    ),
    CommandSpec(
        "jobs", "Jobs for site workers: submit, list, expire.", "imagewarden.cli.jobs:jobs_app"
    ),
    CommandSpec(
        "schedule",
        "Submit the scheduled jobs whose window is open (run from cron).",
        "imagewarden.cli.jobs:schedule",
    ),
    CommandSpec("keys", "Site workers' signing keys.", "imagewarden.cli.keys:keys_app"),
    CommandSpec(
        "list",
        "List findings, highest risk first.",
        "imagewarden.cli.findings:list_findings",
        parent="findings",
    ),
    CommandSpec(
        "accept",
        "Accept a risk until a date; it reopens when the date passes.",
        "imagewarden.cli.findings:accept",
        parent="findings",
    ),
    CommandSpec(
        "false-positive",
        "Mark a finding as a false positive.",
        "imagewarden.cli.findings:false_positive",
        parent="findings",
    ),
    CommandSpec(
        "reopen",
        "Withdraw an acceptance or a false-positive call.",
        "imagewarden.cli.findings:reopen",
        parent="findings",
    ),
)
SHARED_HELP = {
    "import": "Import data into the store.",
    "findings": "List and triage findings.",
    "export": "Exports for other tools.",
}


def _report_error(exc: BaseException, debug: bool) -> int:
    """Print one line for ``exc`` and return its exit code (imports only on this path)."""
    from rich.console import Console
    from rich.markup import escape

    from imagewarden.cli.text import printable
    from imagewarden.model import InfrastructureError, UserInputError

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    known: BaseException = exc
    if not isinstance(exc, UserInputError | InfrastructureError):
        from imagewarden.store.database import mask_credentials
        from imagewarden.store.errors import classify

        known = classify(exc) or exc
    if isinstance(known, UserInputError):
        console.print(f"[bold red]error:[/] {escape(printable(str(known)))}")
        return exit_codes.USAGE_OR_INPUT_ERROR
    if isinstance(known, InfrastructureError):
        console.print(f"[bold red]error:[/] {escape(printable(str(known)))}")
        return exit_codes.INFRASTRUCTURE_ERROR
    name = type(exc).__name__
    console.print(
        f"[bold red]error:[/] this is a bug in ImageWarden ({escape(name)}); "
        "please report it" + ("" if debug else "; run again with --debug for details")
    )
    if debug:
        text = "".join(traceback.format_exception(exc))
        print(mask_credentials(text), file=sys.stderr)
    return exit_codes.INTERNAL_ERROR


GLOBAL_VALUE_OPTIONS = ("--db", "--catalog", "--log-level", "--log-file")
GLOBAL_FLAGS = ("--debug",)


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options written after the subcommand (``findings list --db x.db``) to the
    front, where the root group reads them. Nothing after ``--`` moves."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS or (name in GLOBAL_VALUE_OPTIONS and "=" in arg):
            front.append(arg)
        elif arg in GLOBAL_VALUE_OPTIONS and index + 1 < len(args):
            front.extend(args[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


class _RootGroup(LazyGroup):
    """The root: every core and capability command, lazily; every failure turned into one
    line and its exit code, never a bare traceback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from imagewarden.contracts.registry import installed_capabilities

        specs = [*CORE_COMMANDS, *(s for c in installed_capabilities() for s in c.commands)]
        for name in SHARED_GROUPS:
            group = _shared_group(name)
            group.add_lazy(s for s in specs if s.parent == name)
            self.add_command(group, name)
        self.add_lazy(s for s in specs if s.parent is None)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Accept the global options anywhere on the line."""
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort) as exc:
            if isinstance(exc, typer.Abort):
                typer.echo("interrupted; nothing more was written", err=True)
                raise typer.Exit(exit_codes.INTERRUPTED) from None
            raise
        except KeyboardInterrupt:
            typer.echo("interrupted; nothing more was written", err=True)
            raise typer.Exit(exit_codes.INTERRUPTED) from None
        except Exception as exc:
            if _is_click_usage(exc):
                raise
            debug = bool(ctx.obj is not None and getattr(ctx.obj, "debug", False))
            raise typer.Exit(_report_error(exc, debug)) from None


def _is_click_usage(exc: Exception) -> bool:
    from typer._click.exceptions import ClickException

    return isinstance(exc, ClickException)


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
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level", help="debug, info, warning or error (default warning), on stderr."
        ),
    ] = "warning",
    log_file: Annotated[
        Path | None,
        typer.Option("--log-file", help="Write the log to this file (created owner-only)."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an internal error.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    from imagewarden.cli.logs import configure_logging
    from imagewarden.cli.state import CliState

    configure_logging(log_level, log_file)
    state = CliState(db=db, catalog_dir=catalog_dir, debug=debug)
    ctx.obj = state
    ctx.call_on_close(state.close)


def _shared_group(name: str) -> LazyGroup:
    """One of the core's shared groups (import, findings, export), filled by capabilities."""
    return LazyGroup(name=name, help=SHARED_HELP[name], no_args_is_help=True, rich_markup_mode=None)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="imagewarden")
