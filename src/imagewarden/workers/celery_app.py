"""The Celery application: one factory for the centre, the site workers and job submitters.

Every app acknowledges a task only after it ran (``acks_late``) and rejects it back to the
queue when the process running it dies (``reject_on_worker_lost``), so a worker killed
mid-task leaves its job to another worker of the same site. Messages are persistent and
confirmed by the broker before a submit returns. Remote control, events, gossip and mingle
are off: they need broker queues a site's user has no permission for, and nothing here
uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from celery import Celery
from celery.worker.consumer import Consumer

if TYPE_CHECKING:
    from kombu import Queue

PUBLISH_RETRY = {"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 3}
"""How a submit or a report retries a broker that does not answer (then it gives up)."""


class QuorumConsumer(Consumer):
    """Celery's consumer without native delayed delivery.

    Celery sets that up for quorum queues by declaring exchanges of its own, which a site's
    broker user may not create; no ImageWarden task is delayed (no ETA, no countdown).
    """

    class Blueprint(Consumer.Blueprint):  # type: ignore[misc,valid-type]  # stubs: a variable
        """The default consumer steps but ``DelayedDelivery``."""

        default_steps: ClassVar[list[str]] = [
            step
            for step in Consumer.Blueprint.default_steps
            if not step.endswith(":DelayedDelivery")
        ]


def make_app(
    broker: str,
    *,
    name: str = "imagewarden",
    queues: Sequence[Queue] = (),
    result_backend: str | None = None,
    broker_ca: Path | None = None,
) -> Celery:
    """A Celery app on ``broker`` consuming ``queues`` (none for a submitter).

    An ``amqps://`` broker is reached over TLS with its certificate and host name checked
    (``broker_ca``: the CA that signed it, when the system does not trust it).
    """
    app = Celery(name, broker=broker, backend=result_backend, set_as_current=False)
    settings: dict[str, Any] = {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "task_default_delivery_mode": "persistent",
        "task_ignore_result": result_backend is None,
        "task_store_errors_even_if_ignored": False,
        "task_create_missing_queues": False,
        "task_queues": list(queues),
        "task_default_queue": queues[0].name if queues else "celery",
        "worker_prefetch_multiplier": 1,
        "worker_enable_remote_control": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "worker_consumer": f"{__name__}:QuorumConsumer",
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_disable_rate_limits": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 5.0,
        "broker_transport_options": {"confirm_publish": True},
        "enable_utc": True,
        "timezone": "UTC",
    }
    if broker.startswith("amqps://"):
        settings["broker_use_ssl"] = tls_options(broker_ca)
    app.conf.update(settings)
    return app


def tls_options(ca_file: Path | None) -> dict[str, Any]:
    """TLS to the broker: the certificate must be valid for the broker's host name, signed by
    ``ca_file`` (or a CA the system trusts)."""
    import ssl

    options: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": None}
    if ca_file is not None:
        options["ca_certs"] = str(ca_file)
    return options


def run_worker(
    app: Celery,
    queues: Sequence[str],
    *,
    hostname: str,
    concurrency: int = 1,
    loglevel: str = "WARNING",
) -> int:
    """Run a worker consuming ``queues`` until it is stopped; its exit code."""
    worker = app.Worker(
        hostname=hostname,
        queues=list(queues),
        concurrency=concurrency,
        pool="prefork",
        loglevel=loglevel,
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        optimization="fair",
        quiet=True,
    )
    worker.start()
    return int(worker.exitcode or 0)
