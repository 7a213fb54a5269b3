"""``imagewarden demo``: init + import + assess + report on the embedded demo enterprise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from imagewarden.cli.state import err, out, state
from imagewarden.model import FindingStatus, UserInputError

DEMO_DB = "imagewarden-demo.db"


def _fresh_database(folder: Path) -> str:
    """The demo always starts from an empty database of its own, in its own folder."""
    path = folder / DEMO_DB
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return str(path)


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the demo inventory, database and reports.")
    ] = Path("imagewarden-demo"),
) -> None:
    """Assess the embedded demo health system and write its readiness report."""
    # Imported here so that other commands do not pay for the demo's lab, feeds and history.
    from imagewarden.demo.enterprise import write_demo_inventory
    from imagewarden.demo.history import write_demo_governance_outputs, write_demo_history
    from imagewarden.discovery.lab.demo import discover_lab
    from imagewarden.engine import run_assessment
    from imagewarden.inventory import ImportContext, read_inventory
    from imagewarden.report import render_report
    from imagewarden.report.gather import gather_context
    from imagewarden.resilience.demo import run_demo as run_resilience_demo
    from imagewarden.store import Store
    from imagewarden.vulns.demo_feeds import import_demo_feeds

    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError("exists and is not a folder", hint=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    cli = state(ctx)
    steps = ("inventory", "database", "import", "discover", "feeds", "resilience", "assess",
             "report")  # fmt: skip
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True
    ) as progress:
        task = progress.add_task("demo", total=len(steps))

        def step(text: str) -> None:
            progress.update(task, description=text, advance=1)

        step("writing the demo inventory")
        inventory_path = write_demo_inventory(out_dir / "inventory.json")
        step("creating the database")
        with Store.open(_fresh_database(out_dir), create=True) as store:
            step("importing the inventory")
            context = ImportContext(cli.catalog, observed_at=dt.datetime.now(dt.UTC))
            summary = store.save_inventory(read_inventory(inventory_path, context))
            step("discovering the local DICOM lab (127.0.0.x)")
            if discover_lab(store, out_dir) is None:
                err.print("demo: the lab's 127.0.0.x ports are busy; discovery step skipped")
            step("importing the demo vulnerability feeds")
            import_demo_feeds(store, cli.catalog)
            # Governance: a year of answers, training, phishing and maturity history.
            write_demo_history(store, cli.catalog, out_dir / "governance")
            step("resilience: backup check, IR plan, drill, tabletop")
            run_resilience_demo(store, out_dir)
            step("assessing")
            result = run_assessment(store, cli.catalog)
            step("writing reports")
            report_context = gather_context(
                store,
                cli.catalog,
                title="Imaging cybersecurity readiness",
                enterprise="Demo Health System (synthetic)",
            )
            html = out_dir / "report.html"
            render_report(report_context, "html", html)
            render_report(report_context, "json", out_dir / "findings.json")
            render_report(report_context, "csv", out_dir / "findings.csv")
            write_demo_governance_outputs(
                store, cli.catalog, out_dir, "Demo Health System (synthetic)"
            )
    open_count = sum(f.status is FindingStatus.OPEN for f in result.findings)
    err.print(
        f"demo: {summary.assets_added} assets at {len(report_context.sites)} sites, "
        f"{open_count} open findings; reports in {out_dir}/"
    )
    err.print("open the readiness report:")
    out.print(str(html.resolve()))


def register(app: typer.Typer) -> None:
    app.command()(demo)
