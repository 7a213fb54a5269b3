"""``imagewarden discover``: safe active discovery inside a declared scope.

Parse the options, call the discovery API (``plan`` for ``--dry-run``; otherwise ``collect``
then ``apply``), render what was learned: one line per service found (text), or every target
with its outcome, facts and the findings they raise (``--format json``) on stdout; the
summary on stderr. Every connection is appended to the connection log as it finishes.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from imagewarden.cli.state import err, out, state
from imagewarden.discovery import api
from imagewarden.discovery.batch import DiscoveryBatch, TargetResult
from imagewarden.discovery.facts import anonymous_query
from imagewarden.discovery.interface import Profile
from imagewarden.discovery.scope import load_scope


class OutputFormat(StrEnum):
    """Output of ``discover``."""

    TEXT = "text"
    JSON = "json"


# Facts worth a column in the summary; the rest go to the store (see `imagewarden report`).
_SHOWN = (
    ("dicom.accepts_any_called_ae", "any-called-ae"),
    ("dicom.accepts_unknown_calling_ae", "unknown-calling-ae"),
    ("dicom.study_count", "studies"),
    ("service.tls", "tls"),
    ("service.auth_required", "auth"),
    ("service.default_credentials_accepted", "default-credentials"),
    ("service.product", "product"),
    ("service.product_version", "version"),
    ("rest.dicom_ae_title", "dicom-ae"),
    ("rest.dicom_port", "dicom-port"),
)


def _render_plan(plan: api.DiscoveryPlan) -> None:
    err.print(
        f"dry run: nothing is sent. Authorised by: {plan.authorised_by}; window "
        f"{plan.window_start.isoformat()} .. {plan.window_end.isoformat()}; profile "
        f"{plan.profile.value}; at most {plan.global_per_second:g} connections/s, "
        f"{plan.per_host_per_second:g}/s per host, "
        f"{plan.associations_per_host} association(s) per host at a time"
    )
    if plan.excluded:
        err.print("never contacted: " + ", ".join(plan.excluded))
    for planned in plan.targets:
        out.print(f"{planned.target}")
        for step in planned.steps:
            out.print(f"    {step}")


def _plan_as_json(plan: api.DiscoveryPlan) -> dict[str, Any]:
    """The dry run for scripts: every target and the steps its probe would send."""
    return {
        "dry_run": True,
        "authorised_by": plan.authorised_by,
        "window": {"start": plan.window_start.isoformat(), "end": plan.window_end.isoformat()},
        "profile": plan.profile.value,
        "rate": {
            "global_per_second": plan.global_per_second,
            "per_host_per_second": plan.per_host_per_second,
            "associations_per_host": plan.associations_per_host,
        },
        "excluded": list(plan.excluded),
        "targets": [
            {
                "target": f"{p.target.host}:{p.target.port}",
                "kind": p.target.kind.value,
                "steps": list(p.steps),
            }
            for p in plan.targets
        ],
    }


def _yes_no(value: object) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def _line(result: TargetResult) -> str:
    """One line per service: host:port, protocol, outcome, then the headline facts."""
    protocol = result.protocol.value if result.protocol else "?"
    reason = result.facts.get("dicom.association_reason")
    outcome = f"outcome={result.outcome}" + (f" ({reason})" if reason else "")
    parts = [result.endpoint, protocol, outcome]
    query = anonymous_query(result.facts)
    if query is not None:
        parts.append(f"anonymous-query={_yes_no(query)}")
    for name, label in _SHOWN:
        if name in result.facts:
            parts.append(f"{label}={_yes_no(result.facts[name])}")
    if result.notes:
        parts.append("(" + "; ".join(result.notes) + ")")
    return "  ".join(parts)


def _as_json(
    batch: DiscoveryBatch,
    summary: api.DiscoverySummary,
    raised: dict[tuple[str, int], tuple[api.RaisedFinding, ...]],
    log_path: Path,
) -> dict[str, Any]:
    data = batch.as_dict()
    targets = []
    for result, shown in zip(batch.results, data["results"], strict=True):
        stored = summary.subjects.get((result.host, result.port))
        targets.append(
            {
                "target": result.endpoint,
                **shown,
                "asset_id": stored.asset_id if stored else None,
                "service_key": stored.service_key if stored else None,
                "findings": [
                    {
                        "check_id": f.check_id,
                        "title": f.title,
                        "severity": f.severity.value,
                        "risk_score": f.risk_score,
                        "subject_id": f.subject_id,
                    }
                    for f in raised.get((result.host, result.port), ())
                ],
            }
        )
    return {
        "batch_id": batch.batch_id,
        "site": batch.site,
        "scope": batch.scope_source,
        "scope_digest": batch.scope_digest,
        "authorised_by": batch.authorised_by,
        "profile": batch.profile.value,
        "started_at": data["started_at"],
        "finished_at": data["finished_at"],
        "summary": {
            "targets": summary.targets,
            "services_found": summary.services_found,
            "assets_added": list(summary.assets_added),
            "assets_updated": summary.assets_updated,
            "observations": summary.observations,
            "connections": len(batch.connections),
            "connection_log": str(log_path),
        },
        "targets": targets,
    }


def discover(
    ctx: typer.Context,
    scope_file: Annotated[Path, typer.Option("--scope", help="Scope YAML (rules of engagement).")],
    profile: Annotated[
        Profile | None,
        typer.Option("--profile", help="ping | safe | standard (default: the scope's, or safe)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be sent to whom; send nothing.")
    ] = False,
    allow_query: Annotated[
        bool,
        typer.Option("--allow-query", help="Standard profile: count-only C-FIND and QIDO."),
    ] = False,
    allow_credential_checks: Annotated[
        bool,
        typer.Option(
            "--allow-credential-checks",
            help="Standard profile: try documented vendor default credentials (read-only GET).",
        ),
    ] = False,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            metavar="HOST[:PORT]",
            help="Only this host or host:port (repeatable; must be inside the scope).",
        ),
    ] = None,
    connection_log: Annotated[
        Path | None,
        typer.Option(
            "--connection-log",
            help="Append one line per connection here (default: beside an SQLite database, "
            "<db>.connections.log; else ./imagewarden.connections.log).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            case_sensitive=False,
            help="text, or json (every target; with --dry-run, the plan).",
        ),
    ] = OutputFormat.TEXT,
) -> None:
    """Probe DICOM, DICOMweb, HL7 and admin services inside a scope; merge into the inventory."""
    scope = load_scope(scope_file)
    only = tuple(target or ())
    options = api.probe_options(
        scope, profile, allow_query=allow_query, allow_credential_checks=allow_credential_checks
    )
    if dry_run:
        dry = api.plan(scope, options, only)
        if output is OutputFormat.JSON:
            out.file.write(json.dumps(_plan_as_json(dry), indent=2) + "\n")
        else:
            _render_plan(dry)
        return
    planned = api.targets(scope, options, only)
    api.check_window(scope)
    workspace = state(ctx).workspace()  # the database must be usable before anything is sent
    data = api.catalog_data(workspace.catalog)
    log_path = api.connection_log_path(workspace.store.url, connection_log)
    with (
        api.open_connection_log(log_path) as log,
        Progress(
            TextColumn("discover"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("", total=len(planned))

        def done(result: TargetResult) -> None:
            progress.update(task, advance=1, description=str(result.target))

        batch = api.collect(
            scope, options, data, only=only, on_result=done, on_connection=log.append
        )
    summary = api.apply(workspace, batch)
    if output is OutputFormat.JSON:
        raised = api.raised_findings(workspace, summary)
        out.file.write(json.dumps(_as_json(batch, summary, raised, log_path), indent=2) + "\n")
    else:
        for result in batch.results:
            if result.found:
                out.print(_line(result))
    err.print(
        f"discover: {summary.targets} targets probed in {summary.seconds:.1f} s, "
        f"{summary.services_found} services found, {len(summary.assets_added)} new (unmanaged) "
        f"assets; {len(batch.connections)} connections logged to {log_path}; "
        "run 'imagewarden assess' for findings"
    )
