"""The Celery tasks: thin wrappers that hand each message to the site runtime or the centre.

Site tasks (``imagewarden.discover``, ``imagewarden.verify_backup``,
``imagewarden.analyze_capture``) run one delivery of a job through ``SiteRuntime.handle``;
the centre's task (``imagewarden.report``) hands one signed report to
``app.jobs.receive``. No task holds business logic.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery import Celery, Task
from celery.signals import worker_process_init

from imagewarden.model import InfrastructureError
from imagewarden.model.jobs import JobKind
from imagewarden.workers.celery_app import PUBLISH_RETRY, make_app
from imagewarden.workers.config import (
    REPORT_TASK,
    REPORT_TIME_LIMIT,
    TASKS,
    TIME_LIMITS,
    centre_queue,
    display_url,
    site_queue,
)
from imagewarden.workers.site import Collector, SiteConfig, SiteRuntime, check_config

if TYPE_CHECKING:
    from kombu import Queue

    from imagewarden.app import Workspace
    from imagewarden.app.jobs import Applier, Receipt
    from imagewarden.app.signing import Envelope

log = logging.getLogger(__name__)

CENTRE_RETRIES = (1.0, 2.0, 4.0, 8.0, 15.0)
"""Pauses between tries when the centre's database cannot take a report (then the report
goes back to the queue)."""


def delivery_attempt(request: Any) -> int:
    """Which delivery of its message this is, from 1: the broker's ``x-delivery-count``.

    Without that header (a broker or queue that does not count), a redelivered message is
    taken to be at least the second delivery.
    """
    headers = getattr(request, "headers", None) or {}
    count = headers.get("x-delivery-count", getattr(request, "x-delivery-count", None))
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count + 1
    info = getattr(request, "delivery_info", None) or {}
    return 2 if info.get("redelivered") else 1


def publish_error(exc: BaseException, broker: str) -> InfrastructureError:
    """A broker failure as one line (the password hidden)."""
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return InfrastructureError(f"the broker at {display_url(broker)} refused or failed: {reason}")


def publish_options(queue: Queue) -> dict[str, Any]:
    """Send to ``queue`` through its own exchange (Celery would otherwise use the default
    exchange, which a site's broker user may not write to), retrying a little, confirmed."""
    return {
        "queue": queue,
        "exchange": queue.exchange.name,
        "routing_key": queue.routing_key,
        "retry": True,
        "retry_policy": PUBLISH_RETRY,
        "ignore_result": True,
    }


def _broker_errors() -> tuple[type[BaseException], ...]:
    from amqp.exceptions import AMQPError
    from kombu.exceptions import KombuError, OperationalError

    return (OperationalError, KombuError, AMQPError, OSError)


# --- the site ---------------------------------------------------------------------------


def site_app(
    config: SiteConfig,
    broker: str,
    collectors: Mapping[JobKind, Collector],
    *,
    result_backend: str | None = None,
    broker_ca: Path | None = None,
) -> tuple[Celery, SiteRuntime]:
    """The Celery app of one site's worker, with its runtime (local files checked first)."""
    key = check_config(config)
    report_queue = centre_queue(declare=False)
    app = make_app(
        broker,
        name=f"imagewarden-site-{config.site_id}",
        queues=[site_queue(config.site_id), report_queue],
        result_backend=result_backend,
        broker_ca=broker_ca,
    )

    route = publish_options(report_queue)

    def report(envelope: Envelope) -> None:
        try:
            app.send_task(REPORT_TASK, args=[envelope.to_json()], **route)
        except _broker_errors() as exc:
            raise publish_error(exc, broker) from None

    runtime = SiteRuntime(config, key, collectors, report)
    worker_process_init.connect(_may_have_children, weak=False)
    for kind, name in TASKS.items():
        _register_site_task(app, runtime, kind, name)
    return app, runtime


def _may_have_children(**_: Any) -> None:
    """Let a pool process start processes of its own (a backup verification hashes with
    one process per core); Celery marks its pool processes daemonic, which forbids it."""
    import multiprocessing

    multiprocessing.current_process().daemon = False


def _register_site_task(app: Celery, runtime: SiteRuntime, kind: JobKind, name: str) -> None:
    limit = TIME_LIMITS[kind]

    def run(task: Task[Any, Any], message: dict[str, Any]) -> str:
        from celery.exceptions import Reject

        try:
            return runtime.handle(kind, message, delivery_attempt(task.request))
        except InfrastructureError as exc:
            # A report could not be sent: the delivery goes back to the queue (and counts as
            # one of the job's runs), rather than leaving the centre without an answer.
            log.error("job message goes back to the queue: %s", exc)
            raise Reject(str(exc), requeue=True) from None

    run.__name__ = name.rpartition(".")[2]
    run.__doc__ = f"One delivery of a {kind.value} job at this site."
    app.task(
        bind=True,
        name=name,
        soft_time_limit=limit.soft,
        time_limit=limit.hard,
        acks_late=True,
        reject_on_worker_lost=True,
    )(run)


# --- the centre -------------------------------------------------------------------------


@dataclass
class CentreState:
    """The centre's side of a worker process: its workspace, opened once per process."""

    db: str | None
    catalog_dir: Path | None
    appliers: Mapping[JobKind, Applier]
    _workspace: Workspace | None = field(default=None, repr=False)
    _pid: int = 0

    def workspace(self) -> Workspace:
        """The workspace of this process (a forked process opens its own connections)."""
        if self._workspace is None or self._pid != os.getpid():
            from imagewarden.app import open_workspace
            from imagewarden.app.jobs import CENTRE_ACTOR

            self._workspace = open_workspace(self.db, self.catalog_dir, actor=CENTRE_ACTOR)
            self._pid = os.getpid()
        return self._workspace

    def close(self) -> None:
        """Release the database connections of this process."""
        if self._workspace is not None and self._pid == os.getpid():
            self._workspace.close()
        self._workspace = None

    def receive(self, text: str) -> Receipt:
        """Hand one report to ``app.jobs.receive``; retry a database that cannot take it."""
        from imagewarden.app.jobs import receive

        for pause in (*CENTRE_RETRIES, None):
            try:
                return receive(self.workspace(), text, self.appliers)
            except InfrastructureError as exc:
                if pause is None:
                    raise
                log.warning("cannot record a report now (%s); trying again in %g s", exc, pause)
                self.close()
                time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover


def centre_app(
    broker: str,
    state: CentreState,
    *,
    result_backend: str | None = None,
    broker_ca: Path | None = None,
) -> Celery:
    """The centre's Celery app: it reads the sites' reports from the ``centre`` queue."""
    app = make_app(
        broker,
        name="imagewarden-centre",
        queues=[centre_queue()],
        result_backend=result_backend,
        broker_ca=broker_ca,
    )

    def report(task: Task[Any, Any], text: str) -> str:
        from celery.exceptions import Reject

        try:
            receipt = state.receive(text)
        except InfrastructureError as exc:
            log.error("a report goes back to the queue: %s", exc)
            raise Reject(str(exc), requeue=True) from None
        return receipt.status.value

    report.__doc__ = "One signed report from a site worker."
    app.task(
        bind=True,
        name=REPORT_TASK,
        soft_time_limit=REPORT_TIME_LIMIT.soft,
        time_limit=REPORT_TIME_LIMIT.hard,
        acks_late=True,
        reject_on_worker_lost=True,
    )(report)
    return app


# --- submitting -------------------------------------------------------------------------


class BrokerDispatcher:
    """Puts jobs on their site's queue (declaring it, so a job waits for a worker that has
    not started yet); used by ``jobs submit`` and ``schedule``."""

    def __init__(self, broker: str, broker_ca: Path | None = None) -> None:
        self.broker = broker
        self.app = make_app(broker, name="imagewarden-submit", broker_ca=broker_ca)

    def __call__(self, message: Any) -> None:
        """Send one ``JobMessage``; InfrastructureError when the broker does not take it.

        The site's queue and the centre's are declared first, so the job waits for a worker
        that has not started yet and its reports have somewhere to go before the centre's
        receiver runs.
        """
        queue = site_queue(message.site_id)
        try:
            self.app.send_task(
                TASKS[message.kind],
                kwargs={"message": message.as_dict()},
                task_id=message.job_id,
                expires=message.expires_at,
                **{**publish_options(queue), "declare": [queue, centre_queue()]},
            )
        except _broker_errors() as exc:
            raise publish_error(exc, self.broker) from None

    def close(self) -> None:
        """Release the broker connections."""
        self.app.close()
