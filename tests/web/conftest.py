"""A real workspace server for the web tests: uvicorn on 127.0.0.1 (ephemeral port), on SQLite
and on PostgreSQL, with a small enterprise, an assessment, and one account per role."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from imagewarden.app import accounts, open_store, open_workspace
from imagewarden.app.permissions import Role
from imagewarden.catalog import Catalog, load_catalog
from imagewarden.governance import api as governance
from imagewarden.resilience import api as resilience
from imagewarden.web.app import WebSettings, create_app
from tests.assessing import run_assessment
from tests.conftest import PG_URL
from tests.factories import asset, fact, inventory

PASSWORD = "correct horse battery staple"
SITE_LIMITED = "north-lead"
"""An imaging lead limited to the site 'north'."""


@dataclass
class Deployment:
    """A running workspace: where it is, its database, and who can sign in."""

    url: str
    db: str
    tokens: dict[str, str] = field(default_factory=dict)
    """Account name -> API token."""
    finding_ids: dict[str, str] = field(default_factory=dict)
    """Site id -> the id of one of its findings."""

    def login(self, name: str, password: str = PASSWORD) -> httpx.Client:
        """A client signed in as ``name`` (its cookie jar holds the session)."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        client.get("/login")
        token = client.cookies.get("iw_login_csrf", path="/login")
        reply = client.post(
            "/login",
            data={"name": name, "password": password, "csrf_token": token, "next": "/"},
        )
        assert reply.status_code == 303, reply.text
        return client

    def csrf(self, client: httpx.Client) -> str:
        """The CSRF token of ``client``'s session, as its pages carry it."""
        page = client.get("/account").text
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        return page[start : page.index('"', start)]


def make_enterprise(db: str, catalog: Catalog) -> tuple[dict[str, str], dict[str, str]]:
    """Two sites, a few assets, an assessment, one account (and token) per role."""
    with open_store(db, create=True) as store:
        store.save_inventory(
            inventory(
                asset("CT-1", "north"),
                asset("MR-1", "north", os="Windows XP"),
                asset("CT-9", "south"),
                observations=(fact("CT-1", "asset.phi_stored", True),),
            )
        )
        result = run_assessment(store, catalog)
        findings = {f.site_id: f.id for f in result.findings if f.asset_id}
    tokens: dict[str, str] = {}
    with open_workspace(db, actor="test-setup") as workspace:
        governance.sync_plan(workspace)
        resilience.schedule_drill(
            workspace, site_id="north", title="PACS downtime drill", on=dt.date(2026, 3, 1)
        )
        for role in Role:
            accounts.add_user(workspace, role.value, role.value, password=PASSWORD)
            tokens[role.value] = accounts.issue_token(workspace, role.value).token
        accounts.add_user(
            workspace, SITE_LIMITED, Role.IMAGING_LEAD.value, sites=["north"], password=PASSWORD
        )
        tokens[SITE_LIMITED] = accounts.issue_token(workspace, SITE_LIMITED).token
    return tokens, findings


@contextlib.contextmanager
def serve(
    db: str, *, trusted_proxies: tuple[str, ...] = (), settings: WebSettings | None = None
) -> Iterator[str]:
    """Run the workspace on 127.0.0.1 (ephemeral port) in a thread; yields its base URL."""
    app = create_app(lambda: open_workspace(db, actor="web"), settings)
    with serve_app(app, trusted_proxies=trusted_proxies) as url:
        yield url


@contextlib.contextmanager
def serve_app(app: object, *, trusted_proxies: tuple[str, ...] = ()) -> Iterator[str]:
    """Run an ASGI application under uvicorn on 127.0.0.1 (ephemeral port) in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies) or None,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server under test did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database for one test module: an SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("web") / "workspace.db")
        return
    schema = f"iw_web_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def module_catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def deployment(database: str, module_catalog: Catalog) -> Iterator[Deployment]:
    """The workspace serving a small enterprise, one account and token per role."""
    tokens, findings = make_enterprise(database, module_catalog)
    with serve(database, settings=WebSettings(login_attempts=10_000)) as url:
        yield Deployment(url, database, tokens, findings)


def chromium_path() -> Path:
    """Debian's chromium (scripts/system-deps test installs it)."""
    path = Path(os.environ.get("IMAGEWARDEN_CHROMIUM", "/usr/bin/chromium"))
    if not path.exists():
        pytest.fail(f"chromium not found at {path}: run scripts/system-deps test")
    return path
