"""``imagewarden demo``: the whole product on the embedded demo health system."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from imagewarden.cli.state import err, out, state


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the demo inventory, database and reports.")
    ] = Path("imagewarden-demo"),
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
        f"demo: {result.assets} assets at {result.sites} sites, "
        f"{result.assessment.open_findings} open findings; reports in {out_dir}/"
    )
    err.print("open the readiness report:")
    out.print(str(result.report.resolve()))
