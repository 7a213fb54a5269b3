"""``imagewarden traffic`` and ``imagewarden segmentation``: passive analysis and the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from imagewarden.cli.formats import (
    STDOUT,
    FormatOption,
    JsonAlias,
    ListFormat,
    print_paths,
    stdout_file,
    wants_json,
)
from imagewarden.cli.state import err, out, state
from imagewarden.model import UserInputError
from imagewarden.render.atomic import write_text_atomic
from imagewarden.traffic import api
from imagewarden.traffic.model import CaptureBatch, FlowRecord, flow_to_json
from imagewarden.traffic.segmentation.export import PlanFormat

traffic_app = typer.Typer(
    no_args_is_help=True,
    help="Passive traffic analysis: read packet captures, never send a packet.",
)
segmentation_app = typer.Typer(
    no_args_is_help=True, help="Least-privilege segmentation plan from observed flows."
)

_SHOWN = 60


def _operations(flow: FlowRecord) -> str:
    parts = [f"{op} {n}" for op, n in flow.requests.items()]
    parts += [f"{op} {n} (by server)" for op, n in flow.server_requests.items()]
    return ", ".join(parts)


def flow_line(flow: FlowRecord) -> str:
    """One line per flow: who, where, what (no packet content)."""
    head = f"{flow.client} -> {flow.server}:{flow.port} {flow.protocol}"
    if flow.protocol == "dicom":
        answers = ", ".join(f"{k} {v}" for k, v in flow.associations.items())
        text = f"{head} {flow.calling_ae or '?'} -> {flow.called_ae or '?'} [{answers}]"
        ops = _operations(flow)
        return f"{text} {ops}" if ops else text
    if flow.protocol == "tls":
        names = ",".join(flow.tls_server_names) or "-"
        return f"{head} {flow.tls_version or flow.tls_offered or '?'} sni={names}"
    if flow.protocol == "hl7":
        return f"{head} messages {flow.hl7_messages_to_server}/{flow.hl7_messages_to_client}"
    if flow.protocol == "http":
        requests = ", ".join(f"{k} x{v}" for k, v in flow.http_requests.items())
        return f"{head} {requests or f'{flow.http_other_requests} requests'}"
    return f"{head} {flow.bytes_to_server + flow.bytes_to_client} bytes"


def _summary(batch: CaptureBatch) -> str:
    stats = batch.stats
    kinds: dict[str, int] = {}
    for flow in batch.flows:
        kinds[flow.protocol] = kinds.get(flow.protocol, 0) + 1
    shown = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    malformed = sum(f.malformed for f in batch.flows)
    text = (
        f"traffic: {len(batch.files)} file(s), {stats.packets:,} packets, "
        f"{stats.connections:,} connections, {len(batch.flows)} flows ({shown})"
    )
    if malformed:
        text += f", {malformed} malformed PDUs"
    if stats.connections_evicted or stats.flows_not_kept:
        text += (
            f"; limits reached: {stats.connections_evicted} connections tracked only in part, "
            f"{stats.flows_not_kept} flows not kept"
        )
    return text


def _print_flows(batch: CaptureBatch, as_json: bool, console: Console = out) -> None:
    """The flows on stdout; on stderr (``console``) when stdout carries the batch file or
    its path (``--batch-out``)."""
    if as_json:
        out.print(json.dumps([flow_to_json(f) for f in batch.flows], indent=2), markup=False)
        return
    listed = [f for f in batch.flows if f.protocol != "other"]
    for flow in listed[:_SHOWN]:
        console.print(flow_line(flow), markup=False)
    if len(listed) > _SHOWN:
        err.print(f"... and {len(listed) - _SHOWN} more flows (see --json)")


def _analyze(paths: list[Path], site: str | None, dicom_ports: list[int] | None) -> CaptureBatch:
    with Progress(
        TextColumn("reading capture"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return api.analyze(paths, site_id=site, dicom_ports=dicom_ports or (), progress=advance)


@traffic_app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(help="pcap or pcapng files, or folders of rotated capture files."),
    ],
    site: Annotated[
        str | None, typer.Option("--site", help="Site the capture was taken at.")
    ] = None,
    dicom_port: Annotated[
        list[int] | None,
        typer.Option(
            "--dicom-port",
            help="Also read this server port as DICOM when a connection started before the "
            "capture (repeatable; 104, 11112, 4242, 2761, 2762 always are).",
        ),
    ] = None,
    batch_out: Annotated[
        Path | None,
        typer.Option(
            "--batch-out",
            help="Write the facts to this JSON file instead of the database (a site worker; "
            "'-': stdout). The flows are then listed on stderr.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the flows as JSON.")] = False,
) -> None:
    """Read captures in one pass and store the flows, new hosts and facts.

    Only association-level facts are read (AE titles, operations and counts, TLS versions);
    images, query results and HL7 contents are skipped unread and never stored or printed.
    """
    if batch_out is not None and as_json:
        raise UserInputError("give --json or --batch-out, not both: stdout holds one of them")
    workspace = None if batch_out else state(ctx).workspace()  # a bad --db fails first
    batch = _analyze(paths, site, dicom_port)
    if batch_out is not None:
        _print_flows(batch, False, err)
        done = _summary(batch) + "; batch written (apply it with 'traffic apply')"
        if batch_out == STDOUT:
            with stdout_file("batch.json") as temporary:
                api.write_batch(batch, temporary)
            err.print(done)
            return
        api.write_batch(batch, batch_out)
        err.print(done)
        print_paths([batch_out])
        return
    assert workspace is not None
    summary = api.apply(workspace, batch, site_id=site)
    _print_flows(batch, as_json)
    err.print(
        _summary(batch)
        + f"; stored for site {summary.site_id}: {len(summary.new_assets)} new (unmanaged) "
        f"assets, {summary.services_added} services added"
        + (" (the same capture was applied before: replaced)" if summary.replaced else "")
        + "; run 'imagewarden assess' for findings"
    )


@traffic_app.command("apply")
def apply_command(
    ctx: typer.Context,
    batch_file: Annotated[Path, typer.Argument(help="A batch written by --batch-out.")],
    site: Annotated[str | None, typer.Option("--site", help="Site the capture belongs to.")] = None,
) -> None:
    """Store a batch a site worker wrote with ``traffic analyze --batch-out``."""
    workspace = state(ctx).workspace()
    batch = api.read_batch(batch_file)
    summary = api.apply(workspace, batch, site_id=site)
    err.print(
        _summary(batch) + f"; stored for site {summary.site_id}: "
        f"{len(summary.new_assets)} new (unmanaged) assets"
    )


@traffic_app.command("flows")
def flows_command(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    output: FormatOption = ListFormat.TABLE,
    as_json: JsonAlias = False,
) -> None:
    """List the stored flows."""
    stored = api.flows(state(ctx).workspace(), site)
    if wants_json(output, as_json):
        rows = [{"site": f.site_id, **flow_to_json(f.flow)} for f in stored]
        out.print(json.dumps(rows, indent=2), markup=False)
        return
    for item in stored:
        out.print(f"{item.site_id}  {flow_line(item.flow)}", markup=False)
    err.print(f"{len(stored)} flows")


@segmentation_app.command("plan")
def plan_command(
    ctx: typer.Context,
    fmt: Annotated[
        PlanFormat,
        typer.Option("--format", case_sensitive=False, help="yaml, nftables or cisco."),
    ] = PlanFormat.YAML,
    site: Annotated[str | None, typer.Option("--site", help="Only this site's flows.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write ('-' or none: stdout)."),
    ] = None,
) -> None:
    """The least-privilege plan from the stored flows: allow rules and what would be blocked."""
    plan = api.segmentation_plan(state(ctx).workspace(), site)
    text = api.export_plan(plan, fmt)
    if output is not None and output != STDOUT:
        write_text_atomic(output, text)
        out.print(str(output))
    else:
        out.print(text, markup=False, end="", soft_wrap=True)
    err.print(
        f"segmentation plan: {len(plan.allow)} allow rules, {len(plan.blocked)} flows would be "
        f"blocked (review them), {len(plan.protected_hosts)} protected hosts"
    )
