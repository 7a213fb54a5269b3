"""Discovery's application API: plan, collect, apply, and what a run raised.

Collecting and applying are separate so that a site worker can collect next to the devices
with no database and send the batch to the centre, which applies it:

- ``collect(scope, options, data)`` probes the scope's targets and returns a
  ``DiscoveryBatch`` (no database access at all). The connection log lines come with it, and
  ``on_connection`` receives each as soon as its target's probe ends, so a caller can append
  them to its log while the run goes on.
- ``apply(workspace, batch)`` writes the batch to the store in one audited transaction:
  unmanaged assets for unknown hosts, services, and observations where the batch is
  authoritative (``facts.py``, ``merge.py``).

The command line (``imagewarden discover``) chains the two; ``plan`` is its ``--dry-run``.
Every function prints nothing and raises ``UserInputError`` for a user's mistake.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.discovery.batch import DiscoveryBatch, TargetResult
from imagewarden.discovery.catalog_data import DISCOVERY_SECTION, DiscoveryData
from imagewarden.discovery.connections import ConnectionLog, ConnectionRecord
from imagewarden.discovery.interface import (
    ProbeOptions,
    Profile,
    ServiceResult,
    Target,
)
from imagewarden.discovery.merge import Subject
from imagewarden.discovery.probes import describe, runs
from imagewarden.discovery.scheduler import run_discovery
from imagewarden.discovery.scope import Scope
from imagewarden.model import ServiceProtocol, Severity, UserInputError
from imagewarden.store import replace_observations

if TYPE_CHECKING:
    from imagewarden.app import Workspace
    from imagewarden.catalog import Catalog

log = logging.getLogger(__name__)

DEFAULT_CONNECTION_LOG = Path("imagewarden.connections.log")
"""Where the connection log goes for a database that is not an SQLite file."""
CONNECTION_LOG_SUFFIX = ".connections.log"
APPLY_ACTION = "discovery.apply"
"""The audit action of applying a batch."""


def catalog_data(catalog: Catalog) -> DiscoveryData:
    """Discovery's section of ``catalog`` (fingerprints, default credentials)."""
    return catalog.section(DISCOVERY_SECTION)


def probe_options(
    scope: Scope,
    profile: Profile | None = None,
    *,
    allow_query: bool = False,
    allow_credential_checks: bool = False,
) -> ProbeOptions:
    """The options of a run: the opt-ins need the standard profile."""
    options = scope.options(
        profile, allow_query=allow_query, allow_credential_checks=allow_credential_checks
    )
    if (allow_query or allow_credential_checks) and options.profile is not Profile.STANDARD:
        raise UserInputError(
            "--allow-query and --allow-credential-checks need the standard profile",
            hint="add --profile standard",
        )
    return options


# --- dry run --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedTarget:
    """One target and what its probe would send, in order."""

    target: Target
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiscoveryPlan:
    """What a run would do, for ``--dry-run``: nothing is sent to make it."""

    authorised_by: str
    window_start: dt.datetime
    window_end: dt.datetime
    profile: Profile
    global_per_second: float
    per_host_per_second: float
    associations_per_host: int
    excluded: tuple[str, ...]
    targets: tuple[PlannedTarget, ...]


def plan(scope: Scope, options: ProbeOptions, only: tuple[str, ...] = ()) -> DiscoveryPlan:
    """What ``collect`` would send to whom (``only`` narrows to hosts or host:port pairs)."""
    spec = scope.spec
    planned = tuple(
        PlannedTarget(t, tuple(describe(t.kind, scope.titles(t), options)))
        for t in targets(scope, options, only)
    )
    return DiscoveryPlan(
        authorised_by=spec.authorised_by,
        window_start=spec.window.start,
        window_end=spec.window.end,
        profile=options.profile,
        global_per_second=spec.rate.global_per_second,
        per_host_per_second=spec.rate.per_host_per_second,
        associations_per_host=spec.rate.associations_per_host,
        excluded=tuple(str(n) for n in scope.exclude),
        targets=planned,
    )


# --- collect --------------------------------------------------------------------------------


def _with_host_facts(results: list[ServiceResult]) -> list[ServiceResult]:
    """Facts that need every service of a host: does a TLS DICOM host also speak plain?"""
    plain: dict[str, bool] = {}
    for r in results:
        if (
            r.protocol is ServiceProtocol.DICOM
            and r.facts.get("service.tls") is False
            and r.facts.get("dicom.association_outcome") == "accepted"
        ):
            plain[r.target.host] = True
    updated = []
    for result in results:
        if result.protocol is ServiceProtocol.DICOM and result.facts.get("service.tls") is True:
            facts = {
                **result.facts,
                "dicom.plain_on_same_host": plain.get(result.target.host, False),
            }
            result = dataclasses.replace(result, facts=facts)
        updated.append(result)
    return updated


def check_window(scope: Scope, now: dt.datetime | None = None) -> None:
    """Refuse (UserInputError) a scan outside the scope's time window."""
    reason = scope.window_refusal(now or dt.datetime.now(dt.UTC))
    if reason is not None:
        raise UserInputError(f"scan refused: {reason}", hint=scope.source)


def targets(scope: Scope, options: ProbeOptions, only: tuple[str, ...] = ()) -> list[Target]:
    """The targets a run probes: the scope's (``only``: some of them) that the profile runs."""
    scope.check_only(only)
    return [t for t in scope.targets(only) if runs(t.kind, options.profile)]


def new_batch_id(now: dt.datetime) -> str:
    """A unique id for a run started at ``now``."""
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def collect(
    scope: Scope,
    options: ProbeOptions,
    data: DiscoveryData,
    *,
    only: tuple[str, ...] = (),
    on_result: Callable[[TargetResult], None] | None = None,
    on_connection: Callable[[ConnectionRecord], None] | None = None,
    batch_id: str | None = None,
) -> DiscoveryBatch:
    """Probe the scope's targets (``only``: some of them) and return what was learned.

    Refused outside the scope's time window and for a ``--target`` the scope does not allow.
    Touches no database.
    """
    planned = targets(scope, options, only)
    started = dt.datetime.now(dt.UTC)
    check_window(scope, started)
    records: list[ConnectionRecord] = []

    def connection(record: ConnectionRecord) -> None:
        records.append(record)
        if on_connection is not None:
            on_connection(record)

    def result(found: ServiceResult) -> None:
        if on_result is not None:
            on_result(TargetResult.of(found))

    log.info(
        "discovery of %d targets, profile %s, authorised by %s",
        len(planned),
        options.profile.value,
        scope.spec.authorised_by,
    )
    results = run_discovery(scope, planned, options, result, data=data, on_connection=connection)
    finished = max(started, dt.datetime.now(dt.UTC))
    return DiscoveryBatch(
        batch_id=batch_id or new_batch_id(started),
        site=scope.spec.site,
        scope_source=scope.source[-300:],
        scope_digest=scope.digest,
        authorised_by=scope.spec.authorised_by,
        profile=options.profile,
        allow_query=options.allow_query,
        allow_credential_checks=options.allow_credential_checks,
        started_at=started,
        finished_at=finished,
        results=tuple(TargetResult.of(r) for r in _with_host_facts(results)),
        connections=tuple(records),
    )


# --- apply ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiscoverySummary:
    """What applying a batch did to the store."""

    batch_id: str
    site_id: str
    targets: int
    """Targets probed."""
    services_found: int
    assets_added: tuple[str, ...]
    """Ids of the unmanaged assets created for hosts nobody listed."""
    assets_updated: int
    observations: int
    subjects: Mapping[tuple[str, int], Subject]
    """Per (host, port): the asset and service its facts were stored under."""
    seconds: float
    """How long the collection took."""


def apply(workspace: Workspace, batch: DiscoveryBatch) -> DiscoverySummary:
    """Write ``batch`` to the store in one transaction with one audit entry.

    Applying the same batch again changes nothing more (the facts it replaces are the same).
    """
    from imagewarden.discovery import merge
    from imagewarden.discovery.store import repository

    store = workspace.store
    now = dt.datetime.now(dt.UTC)
    target = f"site {batch.site}"
    with store.changing(workspace.actor, APPLY_ACTION, target) as change:
        session = change.session
        site = repository.site(session, batch.site)
        changes = merge.plan(batch, repository.assets(session), site)
        if changes.new_site:
            repository.add_site(session, changes.site, now)
        repository.add_assets(session, changes.new_assets, now)
        repository.update_assets(session, changes.updated_assets, changes.replaced_ports, now)
        for observations in changes.observations:
            replace_observations(session, observations)
        found = sum(1 for r in batch.results if r.found)
        added = tuple(a.id for a in changes.new_assets)
        change.after = {
            "batch_id": batch.batch_id,
            "scope": batch.scope_source,
            "scope_digest": batch.scope_digest,
            "authorised_by": batch.authorised_by,
            "profile": batch.profile.value,
            "targets": len(batch.results),
            "services_found": found,
            "assets_added": list(added[:100]),
            "assets_added_count": len(added),
            "assets_updated": len(changes.updated_assets),
            "observations": changes.observation_count,
            "connections": len(batch.connections),
        }
    log.info("discovery batch %s applied: %d services found", batch.batch_id, found)
    return DiscoverySummary(
        batch_id=batch.batch_id,
        site_id=changes.site.id,
        targets=len(batch.results),
        services_found=found,
        assets_added=added,
        assets_updated=len(changes.updated_assets),
        observations=changes.observation_count,
        subjects=changes.subjects,
        seconds=(batch.finished_at - batch.started_at).total_seconds(),
    )


# --- what the facts raise -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaisedFinding:
    """A finding the catalog's checks raise on facts a run recorded."""

    check_id: str
    title: str
    severity: Severity
    risk_score: int
    subject_id: str


def raised_findings(
    workspace: Workspace, summary: DiscoverySummary, *, today: dt.date | None = None
) -> dict[tuple[str, int], tuple[RaisedFinding, ...]]:
    """Per (host, port): the findings the catalog's checks raise on its service, and on its
    host where discovery's facts are the cause (a host discovery created; a default login it
    found), as the next ``assess`` will record them.

    Nothing is written: findings are stored (with their lifecycle) only by ``assess``.
    """
    from imagewarden.discovery.facts import ASSET_FACTS
    from imagewarden.engine import CatalogRules, load_view
    from imagewarden.model import SubjectKind

    today = today or dt.date.today()
    view = load_view(workspace.store, workspace.catalog, today)
    catalog = workspace.catalog
    wanted_services = {s.service_key for s in summary.subjects.values() if s.service_key}
    wanted_assets = {s.asset_id for s in summary.subjects.values() if s.asset_id}

    def discovery_caused(check_id: str, asset_id: str) -> bool:
        asset = view.assets.get(asset_id)
        check = catalog.checks.get(check_id)
        reads = check.when.facts() if check is not None and check.when is not None else set()
        return (asset is not None and not asset.managed) or bool(reads & ASSET_FACTS)

    by_subject: dict[str, list[RaisedFinding]] = {}
    for finding in CatalogRules(catalog).produce(view):
        kind, subject = finding.subject_kind, finding.subject_id
        if (kind is SubjectKind.SERVICE and subject in wanted_services) or (
            kind is SubjectKind.ASSET
            and subject in wanted_assets
            and discovery_caused(finding.check_id, subject)
        ):
            by_subject.setdefault(subject, []).append(
                RaisedFinding(
                    finding.check_id, finding.title, finding.severity, finding.risk.score, subject
                )
            )
    raised: dict[tuple[str, int], tuple[RaisedFinding, ...]] = {}
    for key, stored in summary.subjects.items():
        found = list(by_subject.get(stored.service_key or "", ()))
        found += by_subject.get(stored.asset_id or "", ())
        raised[key] = tuple(sorted(found, key=lambda f: (-f.risk_score, f.check_id)))
    return raised


# --- the connection log ---------------------------------------------------------------------


def connection_log_path(db_url: str, explicit: Path | None = None) -> Path:
    """Where the connection log goes: ``explicit``; else beside an SQLite database file
    (``<file>.connections.log``); else ``imagewarden.connections.log`` in the current folder."""
    from imagewarden.store.database import sqlite_path

    if explicit is not None:
        return explicit
    database = sqlite_path(db_url)
    if database is not None:
        return database.with_name(database.name + CONNECTION_LOG_SUFFIX)
    return DEFAULT_CONNECTION_LOG


def open_connection_log(path: Path) -> ConnectionLog:
    """The connection log at ``path``, open for appending (created owner-only)."""
    return ConnectionLog(path).open()
