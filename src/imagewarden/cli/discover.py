"""``imagewarden discover``: safe active discovery inside a declared scope."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from imagewarden.cli.state import err, out, state
from imagewarden.discovery.interface import ProbeOptions, Profile, ServiceResult, Target
from imagewarden.discovery.probes import describe, runs
from imagewarden.discovery.scope import Scope, load_scope
from imagewarden.discovery.service import check_window, discover_into
from imagewarden.model import UserInputError

# Facts worth a column in the summary; the rest go to the store (see `imagewarden report`).
_SHOWN = (
    ("dicom.association_outcome", "association"),
    ("dicom.accepts_any_called_ae", "any-called-ae"),
    ("dicom.accepts_unknown_calling_ae", "unknown-calling-ae"),
    ("dicom.anonymous_query", "anonymous-query"),
    ("dicom.study_count", "studies"),
    ("service.tls", "tls"),
    ("service.auth_required", "auth"),
    ("service.default_credentials_accepted", "default-credentials"),
    ("service.product", "product"),
    ("service.product_version", "version"),
)


def _options(
    scope: Scope, profile: Profile | None, allow_query: bool, allow_credentials: bool
) -> ProbeOptions:
    options = scope.options(
        profile, allow_query=allow_query, allow_credential_checks=allow_credentials
    )
    if (allow_query or allow_credentials) and options.profile is not Profile.STANDARD:
        raise UserInputError(
            "--allow-query and --allow-credential-checks need the standard profile",
            hint="add --profile standard",
        )
    return options


def _plan(scope: Scope, targets: list[Target], options: ProbeOptions) -> None:
    spec = scope.spec
    err.print(
        f"dry run: nothing is sent. Authorised by: {spec.authorised_by}; window "
        f"{spec.window.start.isoformat()} .. {spec.window.end.isoformat()}; profile "
        f"{options.profile.value}; at most {spec.rate.global_per_second:g} connections/s, "
        f"{spec.rate.per_host_per_second:g}/s per host, "
        f"{spec.rate.associations_per_host} association(s) per host at a time"
    )
    if scope.exclude:
        err.print("never contacted: " + ", ".join(str(n) for n in scope.exclude))
    for target in targets:
        if not runs(target.kind, options.profile):
            continue
        out.print(f"{target}")
        for step in describe(target.kind, scope.titles(target), options):
            out.print(f"    {step}")


def _line(result: ServiceResult) -> str:
    """One line per service: host:port protocol then the headline facts, pipe-friendly."""
    protocol = result.protocol.value if result.protocol else "?"
    parts = [f"{result.target.host}:{result.target.port}", protocol]
    for name, label in _SHOWN:
        if name in result.facts:
            value = result.facts[name]
            text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            parts.append(f"{label}={text}")
    if result.notes:
        parts.append("(" + "; ".join(result.notes) + ")")
    return "  ".join(parts)


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
) -> None:
    """Probe DICOM, DICOMweb, HL7 and admin services inside a scope; merge into the inventory."""
    scope = load_scope(scope_file)
    only = tuple(target or ())
    scope.check_only(only)
    options = _options(scope, profile, allow_query, allow_credential_checks)
    targets = scope.targets(only)
    if dry_run:
        _plan(scope, targets, options)
        return
    check_window(scope)
    cli = state(ctx)
    store = cli.store()
    planned = [t for t in targets if runs(t.kind, options.profile)]
    with Progress(
        TextColumn("discover"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(planned))

        def done(result: ServiceResult) -> None:
            progress.update(task, advance=1, description=str(result.target))

        run = discover_into(store, scope, planned, options, done)
    found = [r for r in run.results if r.open and r.protocol is not None]
    for result in found:
        out.print(_line(result), markup=False)
    seconds = (run.finished_at - run.started_at).total_seconds()
    added = run.summary.assets_added if run.summary else 0
    err.print(
        f"discover: {len(planned)} targets probed in {seconds:.1f} s, {len(found)} services "
        f"found, {added} new (unmanaged) assets; run 'imagewarden assess' for findings"
    )
