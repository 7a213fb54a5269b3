"""``imagewarden jobs`` and ``imagewarden schedule``: the centre's jobs for site workers."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from imagewarden.app.jobs import JobQuery, JobRequest, expire, get_job, list_jobs, submit
from imagewarden.app.schedule import load_schedule, run_schedule
from imagewarden.app.signing import check_site_id
from imagewarden.cli import exit_codes
from imagewarden.cli.state import err, out, state
from imagewarden.model.jobs import Job, JobKind, JobState
from imagewarden.workers.config import (
    BROKER_CA_ENV,
    BROKER_ENV,
    centre_permissions,
    display_url,
    resolve_broker,
    site_permissions,
)
from imagewarden.workers.tasks import BrokerDispatcher

jobs_app = typer.Typer(help="Jobs for site workers: submit, list, expire.", no_args_is_help=True)

BrokerOption = Annotated[
    str | None,
    typer.Option(
        "--broker",
        envvar=BROKER_ENV,
        help="Broker URL (default: amqp://127.0.0.1:5672//).",
        show_envvar=True,
    ),
]


BrokerCaOption = Annotated[
    Path | None,
    typer.Option(
        "--broker-ca",
        envvar=BROKER_CA_ENV,
        help="CA certificate that signed an amqps:// broker's certificate.",
        show_envvar=True,
    ),
]


class ListFormat(StrEnum):
    """Output of ``jobs list``."""

    TABLE = "table"
    JSON = "json"


def job_json(job: Job) -> dict[str, Any]:
    """A job as JSON-ready data."""

    def when(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": job.id,
        "kind": job.kind.value,
        "site": job.site_id,
        "state": job.state.value,
        "params": dict(job.params),
        "submitted_by": job.submitted_by,
        "created_at": when(job.created_at),
        "updated_at": when(job.updated_at),
        "expires_at": when(job.expires_at),
        "started_at": when(job.started_at),
        "finished_at": when(job.finished_at),
        "attempts": job.attempts,
        "batch_id": job.batch_id,
        "error": job.error,
        "summary": dict(job.summary),
        "schedule_key": job.schedule_key,
    }


@jobs_app.command("submit")
def submit_command(
    ctx: typer.Context,
    kind: Annotated[JobKind, typer.Argument(help="discover, verify_backup or analyze_capture.")],
    site: Annotated[str, typer.Option("--site", help="The site whose worker runs the job.")],
    profile: Annotated[
        str | None,
        typer.Option(help="discover: ping, safe or standard (at most the site scope's)."),
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            metavar="HOST[:PORT]",
            help="discover: only this host or host:port (repeatable; inside the site's scope).",
        ),
    ] = None,
    allow_query: Annotated[
        bool,
        typer.Option("--allow-query", help="discover: count-only queries, if the site allows."),
    ] = False,
    allow_credential_checks: Annotated[
        bool,
        typer.Option(
            "--allow-credential-checks",
            help="discover: default-credential checks, if the site allows.",
        ),
    ] = False,
    root: Annotated[
        str | None, typer.Option(help="verify_backup: the archive's absolute path at the site.")
    ] = None,
    asset: Annotated[
        str | None, typer.Option(help="verify_backup: the asset the archive belongs to.")
    ] = None,
    capture: Annotated[
        str | None,
        typer.Option(
            help="analyze_capture: the capture file, or folder of rotated files, at the "
            "site (absolute path)."
        ),
    ] = None,
    expires_in: Annotated[
        float, typer.Option(min=0.01, help="Hours the job may wait for a worker.")
    ] = 24.0,
    broker: BrokerOption = None,
    broker_ca: BrokerCaOption = None,
) -> None:
    """Send a job to a site's queue; prints its id."""
    params: dict[str, Any] = {}
    for name, value in (
        ("profile", profile),
        ("targets", list(target) if target else None),
        ("allow_query", allow_query or None),
        ("allow_credential_checks", allow_credential_checks or None),
        ("root", root),
        ("asset_id", asset),
        ("capture", capture),
    ):
        if value is not None:
            params[name] = value
    workspace = state(ctx).workspace()
    send = BrokerDispatcher(resolve_broker(broker), broker_ca)
    now = dt.datetime.now(dt.UTC)
    try:
        job = submit(
            workspace,
            JobRequest(kind, site, params, now + dt.timedelta(hours=expires_in)),
            send,
            now=now,
        )
    finally:
        send.close()
    assert job is not None  # only a schedule window can be taken already
    err.print(
        f"job queued for site {job.site_id} on {display_url(send.broker)} "
        f"(expires {job.expires_at.isoformat(timespec='seconds') if job.expires_at else '-'})"
    )
    out.print(job.id)


@jobs_app.command("list")
def list_command(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site.")] = None,
    job_state: Annotated[
        list[JobState] | None,
        typer.Option("--state", case_sensitive=False, help="Only this state (repeatable)."),
    ] = None,
    kind: Annotated[JobKind | None, typer.Option(help="Only this kind.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 100,
    output: Annotated[
        ListFormat, typer.Option("--format", case_sensitive=False, help="table or json.")
    ] = ListFormat.TABLE,
) -> None:
    """Show jobs, newest first."""
    jobs = list_jobs(state(ctx).workspace(), JobQuery(site, tuple(job_state or ()), kind, limit))
    if output is ListFormat.JSON:
        out.file.write(json.dumps([job_json(j) for j in jobs], indent=2) + "\n")
        return
    table = Table()
    for column in ("id", "kind", "site", "state", "created", "attempts", "detail"):
        table.add_column(column)
    for job in jobs:
        detail = job.error or (
            f"batch {job.batch_id}: {job.summary.get('observations', '?')} observations"
            if job.state is JobState.DONE
            else ""
        )
        table.add_row(
            job.id,
            job.kind.value,
            job.site_id,
            job.state.value,
            job.created_at.isoformat(timespec="seconds"),
            str(job.attempts),
            detail[:80],
        )
    out.print(table)


@jobs_app.command("show")
def show(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="The job's id.")]) -> None:
    """Show one job as JSON."""
    job = get_job(state(ctx).workspace(), job_id)
    out.file.write(json.dumps(job_json(job), indent=2) + "\n")


@jobs_app.command("expire")
def expire_command(ctx: typer.Context) -> None:
    """Mark the jobs nobody ran before their deadline as expired."""
    expired = expire(state(ctx).workspace())
    err.print(f"{len(expired)} jobs expired")
    for job_id in expired:
        out.print(job_id)


@jobs_app.command("permissions")
def permissions(
    site: Annotated[
        list[str] | None, typer.Option("--site", help="A site's broker user (repeatable).")
    ] = None,
    vhost: Annotated[str, typer.Option(help="The broker's virtual host.")] = "imagewarden",
) -> None:
    """Print the rabbitmqctl commands that give each site's user access to its queue only."""
    out.print(f"rabbitmqctl add_vhost {vhost}")
    rights = centre_permissions()
    out.print(
        f"rabbitmqctl set_permissions -p {vhost} imagewarden-centre "
        f"'{rights.configure}' '{rights.write}' '{rights.read}'"
    )
    for site_id in site or ():
        rights = site_permissions(check_site_id(site_id))
        out.print(
            f"rabbitmqctl set_permissions -p {vhost} imagewarden-site-{site_id} "
            f"'{rights.configure}' '{rights.write}' '{rights.read}'"
        )


def schedule(
    ctx: typer.Context,
    schedule_file: Annotated[Path, typer.Argument(help="The schedule (YAML).")],
    broker: BrokerOption = None,
    broker_ca: BrokerCaOption = None,
) -> None:
    """Submit the scheduled jobs whose window is open (run it from cron every few minutes)."""
    plan = load_schedule(schedule_file)
    workspace = state(ctx).workspace()
    send = BrokerDispatcher(resolve_broker(broker), broker_ca)
    try:
        done = run_schedule(workspace, plan, send)
    finally:
        send.close()
    for job in done.submitted:
        out.print(job.id)
    err.print(
        f"schedule: {len(done.submitted)} jobs submitted, {len(done.already)} already "
        f"submitted in their window, {len(done.closed)} outside their window, "
        f"{len(done.expired)} expired"
    )
    for name, reason in done.errors:
        err.print(f"error: {name}: {reason}")
    if done.errors:
        raise typer.Exit(exit_codes.USAGE_OR_INPUT_ERROR)
