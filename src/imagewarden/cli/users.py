"""``imagewarden user``: accounts of the web workspace (add, list, disable, token).

A password is read from standard input (``--password-stdin``), never from an option, so it
does not land in the shell history or the process list. Changes are audited with the
operating-system user as the actor.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.app import accounts
from imagewarden.app.permissions import Role
from imagewarden.cli.formats import FormatOption, ListFormat, print_json, wants_json
from imagewarden.cli.state import err, out, state
from imagewarden.model import UserInputError

user_app = typer.Typer(help="Accounts of the web workspace.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="The account's name (what the person signs in with).")]


def _read_password() -> str:
    """The first line of standard input, without its line ending."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise UserInputError("no password on standard input", hint="--password-stdin")
    return password


@user_app.command("add")
def add(
    ctx: typer.Context,
    name: Name,
    role: Annotated[
        Role, typer.Option(case_sensitive=False, help="What the person may do (see docs/web.md).")
    ],
    site: Annotated[
        list[str] | None,
        typer.Option("--site", help="Limit the account to this site (repeat for several)."),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
) -> None:
    """Create an account; without --password-stdin it signs in only with API tokens."""
    password = _read_password() if password_stdin else None
    record = accounts.add_user(
        state(ctx).workspace(), name, role.value, sites=site or (), password=password
    )
    scope = ", ".join(record.sites) or "every site"
    err.print(f"user {record.name} added: {record.role}, {scope}")


@user_app.command("list")
def list_command(ctx: typer.Context, output: FormatOption = ListFormat.TABLE) -> None:
    """List accounts: role, sites, and whether each is disabled or locked."""
    rows = accounts.list_users(state(ctx).workspace())
    if wants_json(output):
        print_json(
            [
                {"name": u.name, "role": u.role, "sites": list(u.sites),
                 "password": u.has_password, "disabled": u.disabled}
                for u in rows
            ]
        )  # fmt: skip
        return
    table = Table()
    for column in ("name", "role", "sites", "password", "state"):
        table.add_column(column)
    for user in rows:
        status = "disabled" if user.disabled else "active"
        table.add_row(
            user.name, user.role, ", ".join(user.sites) or "all",
            "yes" if user.has_password else "no", status,
        )  # fmt: skip
    out.print(table)
    err.print(f"{len(rows)} users")


@user_app.command("disable")
def disable(ctx: typer.Context, name: Name) -> None:
    """Disable an account: its sessions end and its API tokens stop working."""
    accounts.set_disabled(state(ctx).workspace(), name, True)
    err.print(f"user {name} disabled")


@user_app.command("enable")
def enable(ctx: typer.Context, name: Name) -> None:
    """Enable a disabled account again."""
    accounts.set_disabled(state(ctx).workspace(), name, False)
    err.print(f"user {name} enabled")


@user_app.command("password")
def password(
    ctx: typer.Context,
    name: Name,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the new password from standard input."),
    ] = False,
) -> None:
    """Set an account's password (its sessions end)."""
    if not password_stdin:
        raise UserInputError("give the password on standard input", hint="--password-stdin")
    accounts.set_password(state(ctx).workspace(), name, _read_password())
    err.print(f"password of {name} changed")


@user_app.command("token")
def token(
    ctx: typer.Context,
    name: Name,
    label: Annotated[str, typer.Option(help="What the token is for (e.g. SIEM pull).")] = "",
) -> None:
    """Create an API token for an account; it is shown once, here, and stored hashed."""
    issued = accounts.issue_token(state(ctx).workspace(), name, label=label)
    err.print(f"API token {issued.record.id} for {name} (shown once; keep it secret):")
    out.print(issued.token)
