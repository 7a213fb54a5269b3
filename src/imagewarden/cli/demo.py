"""``imagewarden demo``: the whole product on the embedded demo health system."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from imagewarden.cli.formats import print_paths
from imagewarden.cli.state import err, out, state


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the demo inventory, database and reports.")
    ] = Path("imagewarden-demo"),
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Then serve the web workspace on the demo data; prints its address and a "
            "one-time administrator password.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --serve.")] = 8400,
) -> None:
    """Assess the embedded demo health system and write its readiness report."""
    from imagewarden.demo.run import STEPS, run_demo

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True
    ) as progress:
        task = progress.add_task("demo", total=len(STEPS))
        result = run_demo(
            out_dir,
            catalog_dir=state(ctx).catalog_dir,
            progress=lambda text: progress.update(task, description=text, advance=1),
        )
    if not result.lab_discovered:
        err.print("demo: the lab's 127.0.0.x ports were busy; the discovery step was skipped")
    err.print(
        f"demo: {result.assets} managed assets at {result.sites} sites and "
        f"{result.unmanaged} unmanaged hosts, "
        f"{result.assessment.open_findings} open findings, {result.traffic_flows} flows from "
        f"the demo's packet capture; reports in {out_dir}/"
    )
    if not serve:
        err.print("open the readiness report:")
        print_paths([result.report.resolve()])
        return
    _serve(ctx, result.database, port)


def _serve(ctx: typer.Context, database: Path, port: int) -> None:
    from imagewarden.app import open_workspace
    from imagewarden.app.accounts import add_one_time_admin
    from imagewarden.demo.run import ENTERPRISE
    from imagewarden.web.app import WebSettings
    from imagewarden.web.server import ServerOptions, run

    catalog_dir = state(ctx).catalog_dir
    with open_workspace(str(database), catalog_dir) as workspace:
        admin = add_one_time_admin(workspace)
    url = f"http://127.0.0.1:{port}/"
    err.print(f"demo workspace on {url} (Ctrl-C to stop); sign in as '{admin.name}' with this")
    err.print("one-time password (shown only now; set another with 'imagewarden user password'):")
    out.print(url)
    out.print(admin.password)
    run(
        lambda: open_workspace(str(database), catalog_dir),
        ServerOptions(port=port),
        WebSettings(enterprise=ENTERPRISE),
    )
