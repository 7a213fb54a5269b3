"""A private RabbitMQ node for the tests: its own node name, ports, cookie and data folder.

The machine's shared broker (127.0.0.1:5672) is never touched: every command names this
node, and runs with HOME set to the node's folder, so it uses the node's own Erlang cookie
(the shared node would refuse it anyway). The node is stopped, and its folder removed with
the test's temporary folder, when the fixture ends.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def free_port() -> int:
    """A TCP port nobody listens on right now (on loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RabbitNode:
    """One private broker node, started and stopped by the test."""

    folder: Path
    name: str = field(default_factory=lambda: f"iwtest{os.getpid()}x{time.monotonic_ns() % 10**6}")
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def node(self) -> str:
        """The Erlang node name (never the shared broker's)."""
        return f"{self.name}@localhost"

    def env(self) -> dict[str, str]:
        """Environment of the node and of every control command aimed at it."""
        folder = self.folder
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(folder),
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(folder / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(folder / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def _prepare(self) -> None:
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "log").mkdir(exist_ok=True)
        (folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "loopback_users.guest = true\n"
            "disk_free_limit.absolute = 50MB\n",
            encoding="utf-8",
        )
        (folder / "advanced.config").write_text("[].\n", encoding="utf-8")
        (folder / "rabbitmq-env.conf").write_text("", encoding="utf-8")
        (folder / "enabled_plugins").write_text("[].\n", encoding="utf-8")

    def start(self, timeout: float = 90.0) -> None:
        """Start the node and wait until it accepts connections."""
        self._prepare()
        log = (self.folder / "log" / "console.log").open("ab")
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.folder,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"private RabbitMQ node exited: see {self.folder / 'log'}")
            if self.ctl("await_startup", "--timeout", "5", check=False).returncode == 0:
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"private RabbitMQ node did not start in {timeout:.0f} s")

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``rabbitmqctl -n <this node> ...``."""
        return subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=check,
        )

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the node (gracefully, then by its process group) and wait for it."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(subprocess.SubprocessError):
                self.ctl("stop", check=False)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, 9)
                process.wait(10)
        self.process = None

    def restart(self) -> None:
        """Stop the whole node and start it again on the same data folder."""
        self.stop()
        self.start()

    def url(self, user: str = "guest", password: str = "guest", vhost: str = "/") -> str:
        """The AMQP URL of this node for ``user`` on ``vhost``."""
        path = "" if vhost == "/" else vhost
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/{path}"
