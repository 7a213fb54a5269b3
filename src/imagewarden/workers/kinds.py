"""Each job kind's two halves: collect at the site, apply at the centre.

Both halves only call the capability's application API (``discovery.api``,
``resilience.api``, ``traffic.api``): collecting touches no database, applying writes one
audited change. What is here is the site's narrowing (a job may only ask for less than the
site's own files allow) and the checks that a result speaks for the job's own site, asset and
batch.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagewarden.app.jobs import (
    AnalyzeCaptureParams,
    Applier,
    DiscoverParams,
    VerifyBackupParams,
)
from imagewarden.model import InfrastructureError, Location, UserInputError
from imagewarden.model.jobs import JobKind
from imagewarden.workers.site import Collector, SiteJob, within

if TYPE_CHECKING:
    from imagewarden.app import Workspace
    from imagewarden.app.signing import Envelope
    from imagewarden.model.jobs import Job


def _module(name: str) -> Any:
    """A capability's API module, imported when a job of its kind runs.

    Interim: the capabilities' collect/apply APIs are landing; until then a worker asked for
    such a job reports it failed (ModuleNotFoundError is an InfrastructureError here).
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        raise InfrastructureError(
            f"this installation has no {name} (needed for this job)"
        ) from None


PROFILE_RANK = {"ping": 0, "safe": 1, "standard": 2}
"""Profiles from the least to the most that is sent: a job may ask for less, never more."""


# --- discover -------------------------------------------------------------------------------


def collect_discovery(job: SiteJob, params: DiscoverParams) -> str:
    """Discover inside the site's scope file, narrowed by the job; the batch as JSON."""
    from imagewarden.discovery.interface import Profile
    from imagewarden.discovery.scope import load_scope

    config = job.config
    scope = load_scope(config.scope_path)  # read again per job: the site may have narrowed it
    if scope.spec.site != config.site_id:
        raise UserInputError(
            f"the scope file is for site {scope.spec.site!r}, not {config.site_id!r}",
            Location(str(config.scope_path), field="site"),
        )
    allowed = scope.profile.value
    if params.profile is not None and PROFILE_RANK[params.profile] > PROFILE_RANK[allowed]:
        raise UserInputError(
            f"the job asks for the {params.profile} profile; this site's scope allows at most "
            f"{allowed}",
            Location(str(config.scope_path), field="profile"),
        )
    if params.allow_query and not config.allow_query:
        raise UserInputError(
            "the job asks for count-only queries; this site's worker does not allow them",
            hint="start the worker with --allow-query to allow them",
        )
    if params.allow_credential_checks and not config.allow_credential_checks:
        raise UserInputError(
            "the job asks for default-credential checks; this site's worker does not allow them",
            hint="start the worker with --allow-credential-checks to allow them",
        )
    scope.check_only(tuple(params.targets))  # every target named must be inside the scope
    api = _module("imagewarden.discovery.api")
    profile = Profile(params.profile) if params.profile is not None else None
    options = api.probe_options(
        scope,
        profile,
        allow_query=params.allow_query,
        allow_credential_checks=params.allow_credential_checks,
    )
    data = api.catalog_data(job.catalog())
    with api.open_connection_log(config.log_path) as connections:
        batch = api.collect(
            scope,
            options,
            data,
            only=tuple(params.targets),
            on_connection=connections.append,
            batch_id=job.batch_id,
        )
    return str(batch.to_json())


def _check_batch(what: str, found: str, expected: str) -> None:
    if found != expected:
        raise UserInputError(f"the result speaks for {what} {found[:64]!r}, not {expected!r}")


def apply_discovery(workspace: Workspace, job: Job, envelope: Envelope) -> Mapping[str, Any]:
    """Apply a verified discovery batch of ``job``'s site; its summary (counts)."""
    api = _module("imagewarden.discovery.api")
    batch = _module("imagewarden.discovery.batch").DiscoveryBatch.from_json(
        envelope.payload, f"batch {envelope.batch_id}"
    )
    _check_batch("site", batch.site, job.site_id)
    _check_batch("batch", batch.batch_id, envelope.batch_id)
    summary = api.apply(workspace, batch)
    return {
        "batch_id": batch.batch_id,
        "targets": summary.targets,
        "services_found": summary.services_found,
        "assets_added": len(summary.assets_added),
        "assets_updated": summary.assets_updated,
        "observations": summary.observations,
        "connections": len(batch.connections),
        "seconds": round(summary.seconds, 3),
    }


# --- verify_backup --------------------------------------------------------------------------


def collect_backup_verification(job: SiteJob, params: VerifyBackupParams) -> str:
    """Verify an archive inside one of the worker's ``--archive`` folders; the result JSON."""
    root = Path(params.root)
    if not within(root, job.config.archives):
        raise UserInputError(
            "the archive is not inside this worker's --archive folders",
            Location(params.root[:200]),
        )
    from imagewarden.resilience import api

    request = api.VerifyRequest(root=root, jobs=params.jobs, asset_id=params.asset_id)
    result = api.collect_verification(request)
    return json.dumps(result.to_json())


def apply_backup_verification(
    workspace: Workspace, job: Job, envelope: Envelope
) -> Mapping[str, Any]:
    """Record a verified backup verification for the job's asset; its summary."""
    from imagewarden.resilience import api

    data = envelope.payload_data()
    if not isinstance(data, dict):
        raise UserInputError("a backup result is a JSON object")
    result = api.BackupVerification.from_json(data)
    _check_batch("asset", result.asset_id, str(job.params.get("asset_id", "")))
    check = api.apply_verification(workspace, result)
    return {
        "batch_id": envelope.batch_id,
        "check_id": check.id,
        "files": result.files,
        "problem_files": result.problem_files,
        "integrity_files": result.integrity_files,
        "seconds": round(result.seconds, 3),
    }


# --- analyze_capture ------------------------------------------------------------------------


def collect_capture_analysis(job: SiteJob, params: AnalyzeCaptureParams) -> str:
    """Analyse a capture (a file, or a folder of rotated files) inside one of the worker's
    ``--captures`` folders; the batch as JSON, with the job's batch id.

    Only association-level facts leave the site: AE titles, operations and counts, TLS
    versions, byte counts. The capture itself stays where it is.
    """
    capture = Path(params.capture)
    if not within(capture, job.config.captures):
        raise UserInputError(
            "the capture is not inside this worker's --captures folders",
            Location(params.capture[:200]),
        )
    from imagewarden.traffic import api

    batch = api.analyze([capture], site_id=job.config.site_id)
    return json.dumps({"batch_id": job.batch_id, "capture": batch.to_json()})


def apply_capture_analysis(workspace: Workspace, job: Job, envelope: Envelope) -> Mapping[str, Any]:
    """Store a verified capture batch for the job's site; its summary.

    Idempotent twice over: the centre applies one batch per job, and the traffic API
    replaces the flows of a capture it has seen before instead of adding them again.
    """
    from imagewarden.traffic import api
    from imagewarden.traffic.model import CaptureBatch

    data = envelope.payload_data()
    if not isinstance(data, dict) or not isinstance(data.get("capture"), dict):
        raise UserInputError("a capture result is a JSON object with a capture batch")
    _check_batch("batch", str(data.get("batch_id", "")), envelope.batch_id)
    batch = CaptureBatch.from_json(data["capture"], f"batch {envelope.batch_id}")
    _check_batch("site", str(batch.site_id or ""), job.site_id)
    summary = api.apply(workspace, batch, site_id=job.site_id)
    return {
        "batch_id": envelope.batch_id,
        "capture_id": summary.capture_id,
        "files": len(batch.files),
        "packets": batch.stats.packets,
        "flows": summary.flows,
        "new_assets": len(summary.new_assets),
        "services_added": summary.services_added,
        "observations": summary.observations,
        "replaced": summary.replaced,
    }


COLLECTORS: Mapping[JobKind, Collector] = {
    JobKind.DISCOVER: collect_discovery,
    JobKind.VERIFY_BACKUP: collect_backup_verification,
    JobKind.ANALYZE_CAPTURE: collect_capture_analysis,
}
"""What a site worker can run."""
APPLIERS: Mapping[JobKind, Applier] = {
    JobKind.DISCOVER: apply_discovery,
    JobKind.VERIFY_BACKUP: apply_backup_verification,
    JobKind.ANALYZE_CAPTURE: apply_capture_analysis,
}
"""What the centre can apply."""
