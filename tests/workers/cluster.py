"""A centre and its site workers as real processes, on a private RabbitMQ node.

``Cluster`` starts ``imagewarden centre`` and ``imagewarden worker`` as separate processes
(each in its own process group, so a test can kill one with SIGKILL, children included),
with the per-site broker users and permissions of ``workers.config``; it stops every
process it started, by its own process ids, when the test ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from imagewarden.app import Workspace, installed_capabilities, load_catalog, open_store
from imagewarden.app.jobs import JobQuery, list_jobs, register_site_key
from imagewarden.app.signing import generate_key_pair
from imagewarden.model import Inventory
from imagewarden.model.jobs import Job, JobState
from imagewarden.workers.config import centre_permissions, site_permissions
from tests.workers.rabbit import RabbitNode

PASSWORD = "test-only-password"  # a private broker on loopback, gone with the test


def imagewarden(*args: str | Path) -> list[str]:
    """The command line of ``imagewarden ARGS`` in this virtual environment."""
    return [sys.executable, "-m", "imagewarden", *map(str, args)]


@dataclass
class BrokerAccess:
    """A virtual host on the private node, with the centre's and the sites' users."""

    node: RabbitNode
    vhost: str
    sites: tuple[str, ...]

    def setup(self) -> BrokerAccess:
        """Create the virtual host, and users with the deployment's permissions."""
        self.node.ctl("add_vhost", self.vhost)
        users = [("imagewarden-centre", centre_permissions())]
        users += [(f"imagewarden-site-{s}", site_permissions(s)) for s in self.sites]
        existing = self.node.ctl("list_users", "--silent").stdout
        for user, rights in users:
            if user not in existing:
                self.node.ctl("add_user", user, PASSWORD)
            self.node.ctl(
                "set_permissions",
                "-p",
                self.vhost,
                user,
                rights.configure,
                rights.write,
                rights.read,
            )
        return self

    def url(self, user: str) -> str:
        """The broker URL of ``user`` on this virtual host."""
        return f"amqp://{user}:{PASSWORD}@127.0.0.1:{self.node.port}/{self.vhost}"

    @property
    def centre_url(self) -> str:
        """The centre's broker URL."""
        return self.url("imagewarden-centre")

    def site_url(self, site: str) -> str:
        """A site worker's broker URL."""
        return self.url(f"imagewarden-site-{site}")

    def queue_depths(self) -> dict[str, tuple[int, int]]:
        """Queue -> (ready, unacknowledged) messages."""
        listed = self.node.ctl(
            "list_queues", "-p", self.vhost, "--silent", "name", "messages_ready",
            "messages_unacknowledged",
        ).stdout  # fmt: skip
        depths = {}
        for line in listed.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1].isdigit():
                depths[parts[0]] = (int(parts[1]), int(parts[2]))
        return depths


@dataclass
class Cluster:
    """The centre's database and the processes of one test."""

    folder: Path
    broker: BrokerAccess
    db: Path = field(init=False)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db = self.folder / "centre.db"
        open_store(str(self.db), create=True).close()

    # --- the centre's data ------------------------------------------------------------

    def workspace(self) -> Workspace:
        """A workspace on the centre's database (close it after use)."""
        store = open_store(str(self.db))
        return Workspace(store, load_catalog(), installed_capabilities(), actor="tester")

    def import_inventory(self, inventory: Inventory) -> None:
        """Store the sites and assets the jobs are about."""
        with self.workspace() as workspace:
            workspace.store.save_inventory(inventory)

    def site_key(self, site: str, *, register: bool = True) -> Path:
        """Make ``site``'s key pair; register its public key at the centre."""
        folder = self.folder / f"keys-{site}"
        folder.mkdir(exist_ok=True)
        made = generate_key_pair(site, folder)
        if register:
            with self.workspace() as workspace:
                register_site_key(workspace, site, made.public_path.read_text())
        return made.private_path

    def jobs(self) -> list[Job]:
        """Every job, newest first."""
        with self.workspace() as workspace:
            return list_jobs(workspace, JobQuery(limit=0))

    def wait_for(
        self,
        done: Callable[[list[Job]], bool],
        *,
        timeout: float = 120.0,
        what: str = "the jobs",
    ) -> list[Job]:
        """Poll the jobs until ``done`` holds (bounded); fails showing the last state."""
        deadline = time.monotonic() + timeout
        jobs: list[Job] = []
        while time.monotonic() < deadline:
            jobs = self.jobs()
            if done(jobs):
                return jobs
            self.check_alive()
            time.sleep(0.3)
        states = [(j.id[:8], j.site_id, j.state.value, j.attempts, j.error) for j in jobs]
        raise AssertionError(f"{what} did not finish in {timeout:.0f} s: {states}\n{self.logs()}")

    def wait_all(self, state: JobState = JobState.DONE, **kw: float) -> list[Job]:
        """Wait until every job is in ``state``."""
        return self.wait_for(lambda jobs: bool(jobs) and all(j.state is state for j in jobs), **kw)

    # --- processes --------------------------------------------------------------------

    def start(self, name: str, args: Iterable[str | Path], *, cwd: Path | None = None) -> None:
        """Start ``imagewarden ARGS`` as process ``name`` in its own process group."""
        log = (self.folder / f"{name}.log").open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("IMAGEWARDEN_BROKER", None)
        self.processes[name] = subprocess.Popen(
            imagewarden(*args),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd or self.folder,
            env=env,
            start_new_session=True,
        )
        log.close()

    def start_centre(self, name: str = "centre") -> None:
        """``imagewarden --db DB centre --broker <centre user>``."""
        self.start(
            name,
            ["--log-level", "info", "--db", self.db, "centre", "--broker", self.broker.centre_url],
        )

    def start_worker(
        self,
        name: str,
        site: str,
        scope: Path,
        key: Path,
        *extra: str | Path,
        broker_url: str | None = None,
    ) -> None:
        """``imagewarden worker --site SITE --scope FILE --key KEY --broker <site user>``."""
        self.start(
            name,
            [
                "--log-level", "info", "worker", "--site", site, "--scope", scope,
                "--key", key, "--broker", broker_url or self.broker.site_url(site),
                "--connection-log", self.folder / f"{name}.connections.log", *extra,
            ],
        )  # fmt: skip

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to process ``name``'s whole group (the worker and its children)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(30)

    def check_alive(self) -> None:
        """Fail when a process the test did not stop has exited."""
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None and code != -signal.SIGKILL:
                raise AssertionError(f"{name} exited with {code}\n{self.logs()}")

    def stopped(self, name: str) -> None:
        """Forget a process the test stopped on purpose."""
        self.processes.pop(name, None)

    def logs(self) -> str:
        """The tail of every process's output."""
        parts = []
        for path in sorted(self.folder.glob("*.log")):
            if path.name.endswith(".connections.log"):
                continue
            text = path.read_text(errors="replace")[-3000:]
            parts.append(f"--- {path.name}\n{text}")
        return "\n".join(parts)

    def stop_all(self) -> None:
        """Stop every process this test started: SIGTERM, then SIGKILL after a while."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        # The pool's children are in the same process group; make sure none is left.
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()


def in_window() -> dict[str, str]:
    """A scope window open now for two hours."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return {
        "start": (now - dt.timedelta(minutes=5)).isoformat(),
        "end": (now + dt.timedelta(hours=2)).isoformat(),
    }
