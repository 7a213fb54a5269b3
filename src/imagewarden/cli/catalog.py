"""``imagewarden catalog``: validate and inspect the catalog."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.catalog import validate_catalog
from imagewarden.cli.formats import FormatOption, ListFormat, print_json, wants_json
from imagewarden.cli.state import err, out, state

catalog_app = typer.Typer(help="Inspect and validate the catalog.", no_args_is_help=True)


@catalog_app.command("validate")
def validate(ctx: typer.Context) -> None:
    """Check the schema and every cross-reference; exit 2 when anything is wrong."""
    catalog = state(ctx).catalog
    problems = validate_catalog(catalog)
    for problem in problems:
        err.print(f"problem: {problem}")
    types = Counter(s.type.value for s in catalog.safeguards.values())
    err.print(
        f"catalog {catalog.version}: {len(catalog.checks)} checks, "
        f"{len(catalog.safeguards)} safeguards "
        f"({', '.join(f'{n} {t}' for t, n in sorted(types.items()))}), "
        f"{len(catalog.frameworks)} frameworks, {len(catalog.os_table.rows)} OS releases, "
        f"{len(catalog.products.entries)} vendors"
    )
    if problems:
        err.print(f"{len(problems)} problems")
        raise typer.Exit(2)
    err.print("catalog is valid")


@catalog_app.command("list")
def list_entries(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="checks or safeguards")] = "checks",
    output: FormatOption = ListFormat.TABLE,
) -> None:
    """List checks or safeguards."""
    catalog = state(ctx).catalog
    if kind not in ("checks", "safeguards"):
        raise typer.BadParameter("choose 'checks' or 'safeguards'", param_hint="KIND")
    if wants_json(output):
        if kind == "checks":
            print_json(
                [
                    {"id": c.id, "severity": c.severity.value,
                     "applies_to": c.applies_to.subject.value, "title": c.title}
                    for c in catalog.checks.values()
                ]
            )  # fmt: skip
        else:
            print_json(
                [
                    {"id": s.id, "type": s.type.value, "layer": s.layer.value, "title": s.title}
                    for s in catalog.safeguards.values()
                ]
            )
        return
    table = Table()
    if kind == "checks":
        for column in ("id", "severity", "applies to", "title"):
            table.add_column(column)
        for check in catalog.checks.values():
            table.add_row(
                check.id, check.severity.value, check.applies_to.subject.value, check.title
            )
    elif kind == "safeguards":
        for column in ("id", "type", "layer", "title"):
            table.add_column(column)
        for sg in catalog.safeguards.values():
            table.add_row(sg.id, sg.type.value, sg.layer.value, sg.title)
    else:
        raise typer.BadParameter("choose 'checks' or 'safeguards'", param_hint="KIND")
    out.print(table)
