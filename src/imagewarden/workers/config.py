"""Broker settings shared by the centre and the site workers: URLs, queues, time limits.

One durable queue per site, ``site.<site-id>``, a RabbitMQ quorum queue: messages are
persistent, survive a broker restart, and the broker counts each message's deliveries
(``x-delivery-count``), which the worker reads to run a job at most twice. Reports from the
sites go to one queue, ``centre``, which only the centre reads.

Per-site broker users get permissions on their own queue only (``site_permissions``); the
same regular expressions are printed by ``imagewarden jobs permissions`` and used by the
tests on a private broker node.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imagewarden.model import UserInputError
from imagewarden.model.jobs import JobKind

if TYPE_CHECKING:
    from kombu import Queue

BROKER_ENV = "IMAGEWARDEN_BROKER"
RESULT_BACKEND_ENV = "IMAGEWARDEN_RESULT_BACKEND"
BROKER_CA_ENV = "IMAGEWARDEN_BROKER_CA"
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
CENTRE_QUEUE = "centre"
SITE_QUEUE_PREFIX = "site."
DELIVERY_LIMIT = 4
"""The broker drops a message delivered more often than this: a backstop only, as the worker
itself refuses to run a job's third delivery (``model.jobs.MAX_DELIVERIES``)."""

REPORT_TASK = "imagewarden.report"
"""The centre's task: one signed report from a site worker."""
TASKS = {
    JobKind.DISCOVER: "imagewarden.discover",
    JobKind.VERIFY_BACKUP: "imagewarden.verify_backup",
    JobKind.ANALYZE_CAPTURE: "imagewarden.analyze_capture",
}
"""The site workers' task per job kind."""


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """How long one attempt of a task may run: soft (reported as failed), then hard (killed)."""

    soft: int
    """Seconds until the task is told to stop (it reports the job failed)."""
    hard: int
    """Seconds until the process running it is killed."""


TIME_LIMITS = {
    JobKind.DISCOVER: TimeLimit(soft=2 * 3600, hard=2 * 3600 + 60),
    JobKind.VERIFY_BACKUP: TimeLimit(soft=12 * 3600, hard=12 * 3600 + 300),
    JobKind.ANALYZE_CAPTURE: TimeLimit(soft=2 * 3600, hard=2 * 3600 + 60),
}
REPORT_TIME_LIMIT = TimeLimit(soft=1800, hard=1860)
"""Applying one result batch at the centre."""

_SCHEMES = ("amqp://", "amqps://", "pyamqp://", "redis://", "rediss://", "memory://")
_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/\s]*)(:[^@/\s]*)?@")


def resolve_broker(url: str | None) -> str:
    """The broker URL: ``--broker``, else ``$IMAGEWARDEN_BROKER``, else the local RabbitMQ."""
    value = (url or os.environ.get(BROKER_ENV) or DEFAULT_BROKER).strip()
    if not value.startswith(_SCHEMES):
        raise UserInputError(
            f"unsupported broker URL: {display_url(value)[:60]}",
            hint=f"--broker or {BROKER_ENV}, e.g. amqps://site-a@broker.example:5671/imagewarden",
        )
    return value


def resolve_result_backend(url: str | None) -> str | None:
    """The optional result backend (e.g. ``redis://127.0.0.1:6379/0``); None: no results kept."""
    value = (url or os.environ.get(RESULT_BACKEND_ENV) or "").strip()
    return value or None


def display_url(url: str) -> str:
    """The URL as it may be shown or logged: the password hidden."""
    return _CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", url)


def site_queue_name(site_id: str) -> str:
    """The queue of one site's jobs."""
    return f"{SITE_QUEUE_PREFIX}{site_id}"


def _queue(name: str, *, declare: bool = True) -> Queue:
    from kombu import Exchange, Queue

    exchange = Exchange(name, "direct", durable=True, no_declare=not declare)
    return Queue(
        name,
        exchange,
        routing_key=name,
        durable=True,
        queue_arguments={"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT},
        no_declare=not declare,
    )


def site_queue(site_id: str, *, declare: bool = True) -> Queue:
    """The durable quorum queue ``site.<site-id>`` (and its direct exchange of that name)."""
    return _queue(site_queue_name(site_id), declare=declare)


def centre_queue(*, declare: bool = True) -> Queue:
    """The queue of the sites' reports; a site worker publishes to it without declaring it
    (its broker user may write to it, not configure it)."""
    return _queue(CENTRE_QUEUE, declare=declare)


@dataclass(frozen=True, slots=True)
class Permissions:
    """A broker user's permissions on the ImageWarden virtual host (regular expressions)."""

    configure: str
    write: str
    read: str


def site_permissions(site_id: str) -> Permissions:
    """A site worker's broker user: declare and read its own queue, write to the centre's."""
    own = re.escape(site_queue_name(site_id))
    return Permissions(
        configure=f"^{own}$",
        write=f"^({own}|{CENTRE_QUEUE})$",
        read=f"^{own}$",
    )


def centre_permissions() -> Permissions:
    """The centre's broker user: declare every site's queue and fill it, read its own.

    Declaring a site's queue binds it to the site's exchange, which takes read permission on
    that exchange: the centre may read the sites' resources, a site none but its own.
    """
    every = f"^({re.escape(SITE_QUEUE_PREFIX)}[a-z0-9][a-z0-9_-]*|{CENTRE_QUEUE})$"
    return Permissions(configure=every, write=every, read=every)
