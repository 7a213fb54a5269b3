"""Fixtures for the jobs and workers tests: a workspace with sites, keys and a fake broker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from imagewarden.app import Workspace, installed_capabilities, open_store
from imagewarden.app.jobs import JobMessage, register_site_key
from imagewarden.app.signing import Event, public_pem, sign
from imagewarden.catalog import Catalog
from imagewarden.model.jobs import JobKind
from tests.factories import asset, inventory

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


@dataclass
class Outbox:
    """Stands in for the broker in tests of the application API: what ``submit`` sent."""

    sent: list[JobMessage] = field(default_factory=list)

    def __call__(self, message: JobMessage) -> None:
        self.sent.append(message)


@dataclass
class Sites:
    """A workspace with two sites (north, south) whose keys are registered."""

    workspace: Workspace
    keys: dict[str, Ed25519PrivateKey]

    def report(
        self,
        site: str,
        job_id: str,
        event: Event,
        payload: str = "{}",
        *,
        attempt: int = 1,
        kind: JobKind = JobKind.DISCOVER,
        key_of: str | None = None,
    ) -> str:
        """A signed report as a worker of ``site`` sends it (``key_of``: sign with another
        site's key)."""
        return sign(
            self.keys[key_of or site],
            site_id=site,
            job_id=job_id,
            attempt=attempt,
            kind=kind,
            event=event,
            payload=payload,
        ).to_json()


@pytest.fixture
def sites(db_url: str, catalog: Catalog) -> Iterator[Sites]:
    store = open_store(db_url, create=True)
    store.save_inventory(inventory(asset("PACS-N", "north"), asset("PACS-S", "south")))
    workspace = Workspace(store, catalog, installed_capabilities(), actor="tester")
    keys = {}
    for site in ("north", "south"):
        keys[site] = Ed25519PrivateKey.generate()
        register_site_key(workspace, site, public_pem(keys[site].public_key()))
    try:
        yield Sites(workspace, keys)
    finally:
        store.close()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- a private broker and real processes ------------------------------------------------


@pytest.fixture(scope="session")
def rabbit_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One private RabbitMQ node per test process (never the machine's shared broker)."""
    from tests.workers.rabbit import RabbitNode

    node = RabbitNode(tmp_path_factory.mktemp("rabbit"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def cluster(rabbit_node: object, tmp_path: Path) -> Iterator[object]:
    """A fresh virtual host with the centre's and two sites' users, and a centre database."""
    import uuid

    from tests.workers.cluster import BrokerAccess, Cluster
    from tests.workers.rabbit import RabbitNode

    assert isinstance(rabbit_node, RabbitNode)
    access = BrokerAccess(rabbit_node, f"iw-{uuid.uuid4().hex[:8]}", ("north", "south"))
    made = Cluster(tmp_path, access.setup())
    try:
        yield made
    finally:
        made.stop_all()
        rabbit_node.ctl("delete_vhost", access.vhost, check=False)
