"""Jobs for site workers, as the centre handles them: submit, list, receive reports, expire.

The centre never reaches into a site's network. It records a job (``queued``) and hands a
``JobMessage`` to a ``send`` callable (the broker, in ``imagewarden.workers``); a worker of
that site runs it inside its own local scope and sends back signed reports (``signing``):
the attempt started, its result batch, or why it failed. ``receive`` checks each report
(signature by the site's registered public key, a known job of that very site and kind) and
applies a result batch at most once per job: the first batch id to claim the job wins; any
other attempt's batch, or the same message delivered again, changes nothing.

Nothing here knows a broker or a capability: the face that runs the centre passes the
``send`` callable and the ``Applier`` of each job kind.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from imagewarden.app.signing import (
    Envelope,
    Event,
    SignatureRefused,
    check_site_id,
    fingerprint,
    load_public_key,
    parse_envelope,
    verify,
)
from imagewarden.app.workspace import Workspace
from imagewarden.model import InfrastructureError, UserInputError
from imagewarden.model.jobs import MAX_DELIVERIES, Job, JobKind, JobState, SiteKey
from imagewarden.store import jobs as records

log = logging.getLogger(__name__)

DEFAULT_TTL = dt.timedelta(hours=24)
"""How long a submitted job may wait for a worker before it expires."""
SUBMIT_ACTION = "job.submitted"
REFUSED_ACTION = "job.report_refused"
EXPIRED_ACTION = "job.expired"
KEY_ACTION = "site_key.registered"
CENTRE_ACTOR = "centre"


def site_actor(site_id: str) -> str:
    """Who acts when a site's verified report is applied (recorded in the audit trail)."""
    return f"site:{site_id}"


# --- what a job may ask for -----------------------------------------------------------------


class _Params(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Endpoint = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class DiscoverParams(_Params):
    """A discovery job: it can only narrow what the site's own scope file allows."""

    profile: Literal["ping", "safe", "standard"] | None = None
    """At most the scope's own profile (the site refuses a more intrusive one)."""
    targets: tuple[Endpoint, ...] = Field(default=(), max_length=4096)
    """Only these hosts or host:port pairs (each must be inside the site's scope)."""
    allow_query: bool = False
    allow_credential_checks: bool = False


class VerifyBackupParams(_Params):
    """A backup verification: an archive folder at the site, recorded for one asset."""

    root: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    """Absolute path at the site (inside one of the worker's ``--archive`` folders)."""
    asset_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    jobs: int | None = Field(default=None, ge=1, le=64)


class AnalyzeCaptureParams(_Params):
    """A capture analysis: a pcap file at the site."""

    capture: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


PARAMS: Mapping[JobKind, type[_Params]] = {
    JobKind.DISCOVER: DiscoverParams,
    JobKind.VERIFY_BACKUP: VerifyBackupParams,
    JobKind.ANALYZE_CAPTURE: AnalyzeCaptureParams,
}


def parse_params(kind: JobKind, params: Mapping[str, Any], source: str = "job") -> _Params:
    """``params`` validated for ``kind``; UserInputError names the first bad field."""
    try:
        parsed = PARAMS[kind].model_validate(dict(params))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise UserInputError(f"{source}: {where}: {first['msg']}"[:300]) from None
    if isinstance(parsed, VerifyBackupParams | AnalyzeCaptureParams):
        path = parsed.root if isinstance(parsed, VerifyBackupParams) else parsed.capture
        if not PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
            raise UserInputError(
                f"{source}: the path at the site must be absolute, without '..': {path[:60]!r}"
            )
    return parsed


# --- submit ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A job to submit."""

    kind: JobKind
    site_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    expires_at: dt.datetime | None = None
    """When it must have run by (default: ``DEFAULT_TTL`` after submitting)."""
    schedule_key: str | None = None
    """Set by the schedule: the entry and window, so each window gets one job."""


@dataclass(frozen=True, slots=True)
class JobMessage:
    """What the centre sends a site's queue: the job and nothing the site could not check."""

    job_id: str
    kind: JobKind
    site_id: str
    params: Mapping[str, Any]
    expires_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the broker message's body)."""
        return {
            "job_id": self.job_id,
            "kind": self.kind.value,
            "site_id": self.site_id,
            "params": dict(self.params),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


class _WindowTaken(Exception):
    """The schedule window already has its job (rolls the transaction back)."""


Send = Callable[[JobMessage], None]
"""Puts a job on its site's queue; raises InfrastructureError when the broker cannot."""


def submit(
    workspace: Workspace,
    request: JobRequest,
    send: Send,
    *,
    now: dt.datetime | None = None,
) -> Job | None:
    """Record the job (queued) and send it to its site's queue.

    Refused when the site has no registered key (its results could never be accepted), and
    for a backup verification of an asset that is not one of the site's. Returns None when
    the request's schedule window already has its job. If the broker cannot take the
    message the job ends failed and InfrastructureError is raised.
    """
    now = now or dt.datetime.now(dt.UTC)
    site_id = check_site_id(request.site_id)
    params = parse_params(request.kind, request.params).model_dump(mode="json")
    expires = request.expires_at or now + DEFAULT_TTL
    if expires <= now:
        raise UserInputError("the job's deadline is already past", hint="--expires-in")
    store = workspace.store
    with store.reading() as session:
        if request.schedule_key is not None and records.scheduled(session, request.schedule_key):
            return None
        if records.site_key(session, site_id) is None:
            raise UserInputError(
                f"no signing key is registered for site {site_id}: its results would be refused",
                hint="run 'imagewarden keys register' with the site's .pub file",
            )
    if request.kind is JobKind.VERIFY_BACKUP:
        asset_id = params["asset_id"]
        asset = next((a for a in store.assets(site_id) if a.id == asset_id), None)
        if asset is None:
            raise UserInputError(
                f"no asset {asset_id!r} at site {site_id}",
                hint="see 'imagewarden assets list --site'",
            )
    job = Job(
        id=uuid.uuid4().hex,
        kind=request.kind,
        site_id=site_id,
        state=JobState.QUEUED,
        params=params,
        submitted_by=workspace.actor,
        created_at=now,
        updated_at=now,
        expires_at=expires,
        schedule_key=request.schedule_key,
    )
    try:
        with store.changing(workspace.actor, SUBMIT_ACTION, f"job {job.id}") as change:
            if not records.add_job(change.session, job):
                raise _WindowTaken
            change.after = {
                "kind": job.kind.value,
                "site": site_id,
                "params": params,
                "expires_at": expires.isoformat(),
                "schedule_key": request.schedule_key,
            }
    except _WindowTaken:
        return None  # another run of the schedule submitted it meanwhile: nothing recorded
    try:
        send(JobMessage(job.id, job.kind, site_id, params, expires))
    except InfrastructureError as exc:
        with store.writing() as session:
            records.fail_job(session, job.id, f"could not be queued: {exc}", now)
        raise
    log.info("job %s (%s) queued for site %s", job.id, job.kind.value, site_id)
    return job


# --- read -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobQuery:
    """Which jobs to list; every field narrows the list."""

    site_id: str | None = None
    states: tuple[JobState, ...] = ()
    kind: JobKind | None = None
    limit: int = 100


def list_jobs(workspace: Workspace, query: JobQuery = JobQuery()) -> list[Job]:
    """Jobs, newest first."""
    with workspace.store.reading() as session:
        return records.list_jobs(
            session,
            site_id=query.site_id,
            states=query.states,
            kind=query.kind,
            limit=query.limit,
        )


def get_job(workspace: Workspace, job_id: str) -> Job:
    """One job; an unknown id is the user's error."""
    with workspace.store.reading() as session:
        job = records.get_job(session, job_id)
    if job is None:
        raise UserInputError(f"no job {job_id[:64]!r}", hint="see 'imagewarden jobs list'")
    return job


def expire(workspace: Workspace, *, now: dt.datetime | None = None) -> list[str]:
    """Jobs nobody ran before their deadline end ``expired``; their ids (one audit entry)."""
    now = now or dt.datetime.now(dt.UTC)
    with workspace.store.reading() as session:
        due = records.list_jobs(session, states=(JobState.QUEUED, JobState.RUNNING))
    if not any(j.expires_at is not None and j.expires_at <= now and not j.batch_id for j in due):
        return []
    with workspace.store.changing(workspace.actor, EXPIRED_ACTION, "jobs") as change:
        expired = records.expire_jobs(change.session, now)
        change.after = {"jobs": expired[:100], "count": len(expired)}
    for job_id in expired:
        log.info("job %s expired", job_id)
    return expired


# --- reports from site workers --------------------------------------------------------------


class ReceiptStatus(StrEnum):
    """What the centre did with one report."""

    APPLIED = "applied"
    """The result batch was applied and the job is done."""
    DUPLICATE = "duplicate"
    """The job's result was applied already (another attempt, or this message again)."""
    STARTED = "started"
    FAILED = "failed"
    """The job ended failed, as the site reported."""
    IGNORED = "ignored"
    """The job had already ended (failed, expired): nothing changed."""
    REFUSED = "refused"
    """The report was not accepted (signature, unknown job, another site's job, form)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one report."""

    status: ReceiptStatus
    job_id: str = ""
    site_id: str = ""
    reason: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)


Applier = Callable[[Workspace, Job, Envelope], Mapping[str, Any]]
"""Applies a verified result batch of one job kind through its capability's API and returns
a JSON-ready summary (counts, never patient data). It must refuse (UserInputError) a payload
that speaks for another site, asset or batch than the job and envelope it is given."""


def _refuse(workspace: Workspace, reason: str, envelope: Envelope | None) -> Receipt:
    claimed = envelope.site_id if envelope is not None else "?"
    job_id = envelope.job_id if envelope is not None else ""
    log.warning("report refused (claimed site %s, job %s): %s", claimed, job_id or "?", reason)
    target = f"job {job_id}" if job_id else "report"
    with workspace.store.changing(CENTRE_ACTOR, REFUSED_ACTION, target) as change:
        change.after = {
            "claimed_site": claimed,
            "job": job_id,
            "attempt": envelope.attempt if envelope is not None else None,
            "event": envelope.event.value if envelope is not None else None,
            "key_id": envelope.key_id if envelope is not None else None,
            "reason": reason[:300],
        }
    return Receipt(ReceiptStatus.REFUSED, job_id, claimed, reason)


def _verified(workspace: Workspace, text: str | bytes) -> tuple[Envelope, Job] | Receipt:
    """The envelope and its job when the report is authentic and about that site's job."""
    try:
        envelope = parse_envelope(text)
    except UserInputError as exc:
        return _refuse(workspace, str(exc), None)
    with workspace.store.reading() as session:
        key = records.site_key(session, envelope.site_id)
        job = records.get_job(session, envelope.job_id)
    if key is None:
        return _refuse(workspace, f"no key is registered for site {envelope.site_id}", envelope)
    try:
        verify(envelope, load_public_key(key.public_key, f"key of site {key.site_id}"))
    except UserInputError as exc:
        return _refuse(workspace, str(exc), envelope)
    if job is None:
        return _refuse(workspace, f"unknown job {envelope.job_id}", envelope)
    if job.site_id != envelope.site_id:
        return _refuse(
            workspace,
            f"job {job.id} belongs to site {job.site_id}, not to site {envelope.site_id}",
            envelope,
        )
    if job.kind is not envelope.kind:
        return _refuse(
            workspace,
            f"job {job.id} is a {job.kind.value} job, not {envelope.kind.value}",
            envelope,
        )
    return envelope, job


def _error_of(envelope: Envelope) -> str:
    try:
        data = envelope.payload_data()
    except UserInputError:
        return "the site reported a failure"
    error = data.get("error") if isinstance(data, dict) else None
    return str(error)[:500] if error else "the site reported a failure"


def receive(
    workspace: Workspace,
    text: str | bytes,
    appliers: Mapping[JobKind, Applier],
    *,
    now: dt.datetime | None = None,
) -> Receipt:
    """Check one report from a site worker and act on it (see the module's docstring).

    A refused report is logged and recorded in the audit trail, and changes nothing else.
    Database trouble raises InfrastructureError: the report can be received again later.
    """
    now = now or dt.datetime.now(dt.UTC)
    checked = _verified(workspace, text)
    if isinstance(checked, Receipt):
        return checked
    envelope, job = checked
    store = workspace.store
    if envelope.event is Event.STARTED:
        with store.writing() as session:
            moved = records.mark_running(session, job.id, envelope.attempt, now)
        status = ReceiptStatus.STARTED if moved else ReceiptStatus.IGNORED
        return Receipt(status, job.id, job.site_id)
    if envelope.event is Event.FAILED:
        error = _error_of(envelope)
        with store.writing() as session:
            ended = records.fail_job(session, job.id, error, now)
        if ended:
            log.warning("job %s failed at site %s: %s", job.id, job.site_id, error)
        status = ReceiptStatus.FAILED if ended else ReceiptStatus.IGNORED
        return Receipt(status, job.id, job.site_id, error)
    return _apply_result(workspace, envelope, job, appliers, now)


def _apply_result(
    workspace: Workspace,
    envelope: Envelope,
    job: Job,
    appliers: Mapping[JobKind, Applier],
    now: dt.datetime,
) -> Receipt:
    applier = appliers.get(job.kind)
    if applier is None:
        return _refuse(workspace, f"this centre cannot apply {job.kind.value} results", envelope)
    batch_id = envelope.batch_id
    with workspace.store.writing() as session:
        claimed = records.claim_batch(session, job.id, batch_id, now)
    holder, state = claimed if claimed is not None else (None, JobState.FAILED)
    if state is JobState.DONE:
        log.info("job %s: batch %s ignored, %s was applied", job.id, batch_id, holder)
        return Receipt(ReceiptStatus.DUPLICATE, job.id, job.site_id, f"batch {holder} applied")
    if state.finished:
        log.info("job %s had ended; batch %s ignored", job.id, batch_id)
        return Receipt(ReceiptStatus.IGNORED, job.id, job.site_id, "the job had already ended")
    if holder != batch_id:
        log.info("job %s: batch %s ignored, %s is being applied", job.id, batch_id, holder)
        return Receipt(ReceiptStatus.DUPLICATE, job.id, job.site_id, f"batch {holder} applies")
    site_workspace = Workspace(
        workspace.store, workspace.catalog, workspace.capabilities, site_actor(job.site_id)
    )
    try:
        summary = dict(applier(site_workspace, job, envelope))
    except UserInputError as exc:
        with workspace.store.writing() as session:
            records.fail_job(session, job.id, f"result refused: {exc}", now, release_batch=batch_id)
        return _refuse(workspace, f"result refused: {exc}", envelope)
    with workspace.store.writing() as session:
        finished = records.finish_job(session, job.id, batch_id, summary, now)
        current = records.get_job(session, job.id)
    if not finished and (current is None or current.state is not JobState.DONE):
        return Receipt(ReceiptStatus.IGNORED, job.id, job.site_id, "the job had already ended")
    if not finished:
        return Receipt(ReceiptStatus.DUPLICATE, job.id, job.site_id, f"batch {batch_id} applied")
    log.info("job %s done: batch %s applied", job.id, batch_id)
    return Receipt(ReceiptStatus.APPLIED, job.id, job.site_id, summary=summary)


def deliveries_exhausted(attempt: int) -> bool:
    """A delivery beyond ``MAX_DELIVERIES``: the job is failed instead of run again."""
    return attempt > MAX_DELIVERIES


# --- site keys ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyRegistration:
    """A registered key and the one it replaced, if any."""

    key: SiteKey
    replaced: SiteKey | None


def register_site_key(
    workspace: Workspace,
    site_id: str,
    pem_text: str,
    *,
    source: str = "public key",
    now: dt.datetime | None = None,
) -> KeyRegistration:
    """Keep ``site_id``'s public key (replacing an older one); a private key is refused."""
    check_site_id(site_id)
    public = load_public_key(pem_text, source)
    from imagewarden.app.signing import public_pem

    key = SiteKey(
        site_id=site_id,
        public_key=public_pem(public),
        fingerprint=fingerprint(public),
        registered_at=now or dt.datetime.now(dt.UTC),
        registered_by=workspace.actor,
    )
    with workspace.store.changing(workspace.actor, KEY_ACTION, f"site {site_id}") as change:
        replaced = records.put_site_key(change.session, key)
        change.before = {"fingerprint": replaced.fingerprint} if replaced is not None else None
        change.after = {"fingerprint": key.fingerprint}
    return KeyRegistration(key, replaced)


def site_keys(workspace: Workspace) -> list[SiteKey]:
    """Every site's registered public key."""
    with workspace.store.reading() as session:
        return records.site_keys(session)


__all__ = [
    "DEFAULT_TTL",
    "AnalyzeCaptureParams",
    "Applier",
    "DiscoverParams",
    "JobMessage",
    "JobQuery",
    "JobRequest",
    "KeyRegistration",
    "Receipt",
    "ReceiptStatus",
    "SignatureRefused",
    "VerifyBackupParams",
    "deliveries_exhausted",
    "expire",
    "get_job",
    "list_jobs",
    "parse_params",
    "receive",
    "register_site_key",
    "site_keys",
    "submit",
]
