"""``imagewarden keys``: the site workers' signing keys (private at the site, public here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.app.jobs import register_site_key, site_keys
from imagewarden.app.signing import generate_key_pair
from imagewarden.cli.formats import (
    FormatOption,
    JsonAlias,
    ListFormat,
    print_json,
    print_paths,
    wants_json,
)
from imagewarden.cli.state import err, out, state
from imagewarden.model import Location, UserInputError

keys_app = typer.Typer(help="Site workers' signing keys.", no_args_is_help=True)


@keys_app.command("generate")
def generate(
    site: Annotated[str, typer.Option("--site", help="The site the key signs for.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for <site>.key and <site>.pub.")
    ] = Path(),
) -> None:
    """Make a site's key pair: keep <site>.key on its worker, register <site>.pub here."""
    made = generate_key_pair(site, out_dir)
    err.print(
        f"key pair for site {made.site_id} (fingerprint {made.fingerprint}); keep the private "
        "key on the site's worker only, and register the public key at the centre with "
        f"'imagewarden keys register --site {made.site_id} {made.public_path.name}'"
    )
    print_paths([made.private_path, made.public_path])


@keys_app.command("register")
def register(
    ctx: typer.Context,
    public_key: Annotated[Path, typer.Argument(help="The site's .pub file (PEM).")],
    site: Annotated[str, typer.Option("--site", help="The site the key signs for.")],
) -> None:
    """Keep a site's public key: its workers' reports are checked against it."""
    try:
        text = public_key.read_text(encoding="ascii")[:20_000]
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(
            f"cannot read the key: {exc.__class__.__name__}", Location(str(public_key))
        ) from None
    done = register_site_key(state(ctx).workspace(), site, text, source=str(public_key))
    if done.replaced is not None:
        err.print(
            f"site {site}: key {done.replaced.fingerprint} replaced by {done.key.fingerprint}"
        )
    else:
        err.print(f"site {site}: key {done.key.fingerprint} registered")


@keys_app.command("list")
def list_command(
    ctx: typer.Context,
    output: FormatOption = ListFormat.TABLE,
    as_json: JsonAlias = False,
) -> None:
    """Show every site's registered public key."""
    keys = site_keys(state(ctx).workspace())
    if wants_json(output, as_json):
        data = [
            {"site": k.site_id, "fingerprint": k.fingerprint,
             "registered_at": k.registered_at.isoformat(), "registered_by": k.registered_by}
            for k in keys
        ]  # fmt: skip
        print_json(data)
        return
    table = Table()
    for column in ("site", "fingerprint", "registered", "by"):
        table.add_column(column)
    for k in keys:
        table.add_row(
            k.site_id, k.fingerprint, k.registered_at.isoformat(timespec="seconds"), k.registered_by
        )
    out.print(table)
