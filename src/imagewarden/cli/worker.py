"""``imagewarden worker`` (a site's worker) and ``imagewarden centre`` (the centre's receiver)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from imagewarden.cli.jobs import BrokerCaOption, BrokerOption
from imagewarden.cli.state import err, state
from imagewarden.workers.celery_app import run_worker
from imagewarden.workers.config import (
    CENTRE_QUEUE,
    RESULT_BACKEND_ENV,
    display_url,
    resolve_broker,
    resolve_result_backend,
    site_queue_name,
)
from imagewarden.workers.site import SiteConfig

ResultBackendOption = Annotated[
    str | None,
    typer.Option(
        "--result-backend",
        envvar=RESULT_BACKEND_ENV,
        help="Optional Celery result backend, e.g. redis://127.0.0.1:6379/0.",
        show_envvar=True,
    ),
]
ConcurrencyOption = Annotated[
    int, typer.Option(min=1, max=64, help="Jobs this worker runs at a time (processes).")
]


def _loglevel() -> str:
    import logging

    level = logging.getLogger("imagewarden").getEffectiveLevel()
    return logging.getLevelName(level)


def worker(
    ctx: typer.Context,
    site: Annotated[str, typer.Option("--site", help="The site this worker serves.")],
    scope: Annotated[
        Path, typer.Option("--scope", help="The site's own scope file: all it may probe.")
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            envvar="IMAGEWARDEN_SITE_KEY",
            help="The site's private signing key (default: ./<site>.key).",
        ),
    ] = None,
    archive: Annotated[
        list[Path] | None,
        typer.Option(
            "--archive", help="A folder whose archives backup jobs may read (repeatable)."
        ),
    ] = None,
    captures: Annotated[
        list[Path] | None,
        typer.Option("--captures", help="A folder whose captures analysis jobs may read."),
    ] = None,
    connection_log: Annotated[
        Path | None,
        typer.Option(
            "--connection-log",
            help="Append one line per device connection here "
            "(default: ./imagewarden.<site>.connections.log).",
        ),
    ] = None,
    allow_query: Annotated[
        bool, typer.Option("--allow-query", help="Allow jobs to ask for count-only queries.")
    ] = False,
    allow_credential_checks: Annotated[
        bool,
        typer.Option(
            "--allow-credential-checks", help="Allow jobs to ask for default-credential checks."
        ),
    ] = False,
    concurrency: ConcurrencyOption = 1,
    broker: BrokerOption = None,
    broker_ca: BrokerCaOption = None,
    result_backend: ResultBackendOption = None,
) -> None:
    """Run a site's jobs from its queue, inside its own scope file; stop with Ctrl-C."""
    from imagewarden.workers.kinds import COLLECTORS
    from imagewarden.workers.tasks import site_app

    config = SiteConfig(
        site_id=site,
        scope_path=scope,
        key_path=key or Path(f"{site}.key"),
        archives=tuple(archive or ()),
        captures=tuple(captures or ()),
        connection_log=connection_log,
        allow_query=allow_query,
        allow_credential_checks=allow_credential_checks,
        catalog_dir=state(ctx).catalog_dir,
    )
    url = resolve_broker(broker)
    app, runtime = site_app(
        config,
        url,
        COLLECTORS,
        result_backend=resolve_result_backend(result_backend),
        broker_ca=broker_ca,
    )
    runtime.catalog()  # loaded once, before the worker processes fork
    err.print(
        f"site worker for {site}: queue {site_queue_name(site)} on {display_url(url)}; "
        f"scope {scope}; connections logged to {config.log_path}"
    )
    code = run_worker(
        app,
        [site_queue_name(site)],
        hostname=f"{site}-{os.getpid()}@{socket.gethostname()}",
        concurrency=concurrency,
        loglevel=_loglevel(),
    )
    raise typer.Exit(code)


def centre(
    ctx: typer.Context,
    concurrency: ConcurrencyOption = 1,
    broker: BrokerOption = None,
    broker_ca: BrokerCaOption = None,
    result_backend: ResultBackendOption = None,
) -> None:
    """Receive the site workers' signed reports and apply their results to the database."""
    from imagewarden.workers.kinds import APPLIERS
    from imagewarden.workers.tasks import CentreState, centre_app

    cli = state(ctx)
    probe = CentreState(cli.db, cli.catalog_dir, APPLIERS)
    probe.workspace()  # refuse now a database that is missing or at another schema
    probe.close()
    url = resolve_broker(broker)
    app = centre_app(
        url, probe, result_backend=resolve_result_backend(result_backend), broker_ca=broker_ca
    )
    err.print(f"centre: applying reports from queue {CENTRE_QUEUE} on {display_url(url)}")
    code = run_worker(
        app,
        [CENTRE_QUEUE],
        hostname=f"centre-{os.getpid()}@{socket.gethostname()}",
        concurrency=concurrency,
        loglevel=_loglevel(),
    )
    raise typer.Exit(code)
