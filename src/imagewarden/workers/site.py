"""A site worker: runs the centre's jobs inside the site's own rules, and signs what it sends.

The site's rules are local files the centre never sees nor changes: the scope file (which
networks, ports, profile, time window and pacing discovery may use) and the archive folders
backups may be read from. A job can only narrow them: every target it names must be inside
the scope, its profile at most the scope's, the count-only query and default-credential
opt-ins only if the worker was started with them, the archive inside an ``--archive`` folder.

Each delivery of a job is one attempt, numbered from the broker's delivery count: a worker
lost mid-task (killed, out of memory, the machine gone) leaves the job to another worker of
the site, which runs it once more; the delivery after that is reported failed and never
probes. Every report (started, result, failed) is signed with the site's private key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagewarden.app.jobs import deliveries_exhausted, parse_params
from imagewarden.app.signing import (
    JOB_ID,
    Envelope,
    Event,
    check_site_id,
    load_private_key,
    sign,
)
from imagewarden.model import InfrastructureError, Location, UserInputError
from imagewarden.model.jobs import MAX_DELIVERIES, JobKind

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from pydantic import BaseModel

    from imagewarden.catalog import Catalog

log = logging.getLogger(__name__)

CONNECTION_LOG = "imagewarden.{site}.connections.log"
"""The default connection log of a site worker, in its working folder."""


@dataclass(frozen=True)
class SiteConfig:
    """A site worker's local settings: what it may touch, and with which key it signs."""

    site_id: str
    scope_path: Path
    key_path: Path
    archives: tuple[Path, ...] = ()
    """Folders whose archives ``verify_backup`` jobs may read."""
    captures: tuple[Path, ...] = ()
    """Folders whose packet captures ``analyze_capture`` jobs may read."""
    connection_log: Path | None = None
    """Where every connection to a device is logged (default ``CONNECTION_LOG``)."""
    allow_query: bool = False
    """The site allows count-only C-FIND and QIDO when a job asks for them."""
    allow_credential_checks: bool = False
    """The site allows documented default-credential checks when a job asks for them."""
    catalog_dir: Path | None = None

    @property
    def log_path(self) -> Path:
        """The connection log's path."""
        return self.connection_log or Path(CONNECTION_LOG.format(site=self.site_id))


@dataclass(frozen=True)
class SiteJob:
    """One attempt of one job at this site, as a collector sees it."""

    config: SiteConfig
    job_id: str
    kind: JobKind
    attempt: int
    catalog: Callable[[], Catalog]

    @property
    def batch_id(self) -> str:
        """The result batch's id: the job and the attempt."""
        return f"{self.job_id}.{self.attempt}"


Collector = Callable[[SiteJob, Any], str]
"""Runs one job kind with its validated parameters and returns the result batch as JSON
text; raises UserInputError when the site's rules refuse what the job asks."""
Report = Callable[[Envelope], None]
"""Sends a signed report to the centre; raises InfrastructureError when it cannot."""


def within(path: Path, folders: tuple[Path, ...]) -> bool:
    """``path`` (resolved) is one of ``folders`` or inside one of them."""
    resolved = path.resolve(strict=False)
    for folder in folders:
        base = folder.resolve(strict=False)
        if resolved == base or base in resolved.parents:
            return True
    return False


def check_config(config: SiteConfig) -> Ed25519PrivateKey:
    """Refuse, before connecting to the broker, a worker whose local files are wrong.

    The scope must be valid and speak for this site, the key readable by its owner only,
    every archive and capture folder must exist, and the connection log must be writable.
    Returns the site's private key.
    """
    from imagewarden.discovery.scope import load_scope

    check_site_id(config.site_id)
    scope = load_scope(config.scope_path)
    if scope.spec.site != config.site_id:
        raise UserInputError(
            f"the scope file is for site {scope.spec.site!r}, not {config.site_id!r}",
            Location(str(config.scope_path), field="site"),
        )
    key = load_private_key(config.key_path)
    for option, folders in (("--archive", config.archives), ("--captures", config.captures)):
        for folder in folders:
            if not folder.is_dir():
                raise UserInputError("is not a folder", Location(str(folder)), hint=option)
    path = config.log_path
    if not path.parent.is_dir():
        raise UserInputError(f"folder {path.parent} does not exist", hint="--connection-log")
    try:
        with path.open("a", encoding="ascii"):
            pass
        path.chmod(0o600)
    except OSError as exc:
        raise UserInputError(
            f"cannot write the connection log: {exc.strerror}", Location(str(path))
        ) from None
    return key


@dataclass
class SiteRuntime:
    """Runs jobs for one site: checks each delivery, narrows, collects, signs, reports."""

    config: SiteConfig
    key: Ed25519PrivateKey
    collectors: Mapping[JobKind, Collector]
    report: Report
    _catalog: Catalog | None = field(default=None, repr=False)

    def catalog(self) -> Catalog:
        """The catalog (loaded once per process; fingerprints and default credentials)."""
        if self._catalog is None:
            from imagewarden.app import load_catalog

            self._catalog = load_catalog(self.config.catalog_dir)
        return self._catalog

    def _send(self, job_id: str, kind: JobKind, attempt: int, event: Event, payload: str) -> None:
        envelope = sign(
            self.key,
            site_id=self.config.site_id,
            job_id=job_id,
            attempt=attempt,
            kind=kind,
            event=event,
            payload=payload,
        )
        self.report(envelope)

    def _fail(self, job_id: str, kind: JobKind, attempt: int, reason: str) -> str:
        import json

        log.warning("job %s (attempt %d) not run: %s", job_id, attempt, reason)
        self._send(job_id, kind, attempt, Event.FAILED, json.dumps({"error": reason[:500]}))
        return reason

    def handle(
        self,
        kind: JobKind,
        message: Mapping[str, Any],
        attempt: int,
        *,
        now: dt.datetime | None = None,
    ) -> str:
        """Run one delivery of a job; returns what happened, in a few words.

        Refusals are reported to the centre as failures and never probe. Only a report
        that cannot be sent raises (the delivery is then not acknowledged and comes back).
        """
        job_id = str(message.get("job_id", ""))
        if not JOB_ID.match(job_id):
            log.error("a job message without a valid job id was dropped")
            return "dropped: no job id"
        site = str(message.get("site_id", ""))
        if site != self.config.site_id:
            return self._fail(
                job_id, kind, attempt, f"the job is for site {site[:64]!r}, not this one"
            )
        if message.get("kind") != kind.value:
            return self._fail(job_id, kind, attempt, "the message's kind does not match its task")
        if deliveries_exhausted(attempt):
            return self._fail(
                job_id,
                kind,
                attempt,
                f"a worker was lost during each of its {MAX_DELIVERIES} runs; not run again",
            )
        now = now or dt.datetime.now(dt.UTC)
        expires = message.get("expires_at")
        if isinstance(expires, str) and dt.datetime.fromisoformat(expires) <= now:
            return self._fail(job_id, kind, attempt, "its deadline passed before a worker took it")
        collector = self.collectors.get(kind)
        if collector is None:
            return self._fail(job_id, kind, attempt, f"this worker cannot run {kind.value} jobs")
        try:
            params: BaseModel = parse_params(kind, message.get("params") or {}, f"job {job_id}")
        except UserInputError as exc:
            return self._fail(job_id, kind, attempt, str(exc))
        self._send(job_id, kind, attempt, Event.STARTED, "{}")
        job = SiteJob(self.config, job_id, kind, attempt, self.catalog)
        log.info("job %s (%s), attempt %d: started", job_id, kind.value, attempt)
        try:
            payload = collector(job, params)
        except (UserInputError, InfrastructureError) as exc:
            return self._fail(job_id, kind, attempt, str(exc))
        except Exception as exc:
            from celery.exceptions import SoftTimeLimitExceeded

            if isinstance(exc, SoftTimeLimitExceeded):
                return self._fail(job_id, kind, attempt, "stopped at its time limit")
            log.exception("job %s: internal error", job_id)
            return self._fail(
                job_id, kind, attempt, f"internal error in the worker ({type(exc).__name__})"
            )
        self._send(job_id, kind, attempt, Event.RESULT, payload)
        log.info("job %s (%s), attempt %d: result sent", job_id, kind.value, attempt)
        return "done"
