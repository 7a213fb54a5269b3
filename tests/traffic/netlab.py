"""A two-host network made for one test: two namespaces joined by a veth pair, and dumpcap.

Everything runs inside namespaces this module creates and deletes: peers that bind every
interface (storescp, dcmqrscp) are unreachable from the machine's own network, and captures
see only the test's traffic. Used by the traffic tests, the traffic benchmark and the script
that records the demo capture. Needs root, ``ip``, ``dumpcap`` (and ``ethtool`` to turn
segmentation offloads off, so packets have Ethernet sizes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

NODELAY = {"TCP_NODELAY": "1"}
"""DCMTK tools read this: without it every DIMSE round trip waits ~44 ms (Nagle)."""


def available() -> str | None:
    """Why a namespace lab cannot run here (None when it can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "dumpcap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/system-deps test)"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@dataclass
class NetnsPair:
    """Host A (``server``) and host B (``client``) on one link, and what they run."""

    server_ns: str
    client_ns: str
    server_if: str
    client_if: str
    server_ip: str
    client_ip: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _argv(self, ns: str, argv: Sequence[str | Path]) -> list[str]:
        return ["ip", "netns", "exec", ns, *(str(a) for a in argv)]

    def start(
        self,
        side: str,
        argv: Sequence[str | Path],
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a long-running process on ``side`` ("server" or "client"); stopped at exit."""
        ns = self.server_ns if side == "server" else self.client_ns
        sink = log.open("wb") if log is not None else subprocess.DEVNULL
        process = subprocess.Popen(
            self._argv(ns, argv),
            env={**os.environ, **(env or {})},
            stdout=sink,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def run(
        self,
        side: str,
        argv: Sequence[str | Path],
        env: Mapping[str, str] | None = None,
        timeout: float = 60,
        check: bool = True,
    ) -> int:
        """Run a command to completion on ``side``; its output is discarded (it may print
        patient data: findscu does)."""
        ns = self.server_ns if side == "server" else self.client_ns
        done = subprocess.run(
            self._argv(ns, argv),
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{argv[0]} exited {done.returncode} in namespace {ns}")
        return done.returncode

    def wait_port(self, port: int, timeout: float = 10.0) -> None:
        """Wait until something listens on ``port`` on the server side."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listening = subprocess.run(
                self._argv(self.server_ns, ["ss", "-Hltn", f"sport = :{port}"]),
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
            if listening.strip():
                return
            time.sleep(0.05)
        raise AssertionError(f"nothing listens on port {port} after {timeout} s")

    def stop_all(self) -> None:
        """Stop every process this pair started (SIGTERM, then SIGKILL)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 6
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)
        self.processes.clear()


@contextlib.contextmanager
def netns_pair(
    subnet: str = "10.97.0", mtu: int = 1500, offloads_off: bool = True
) -> Iterator[NetnsPair]:
    """Two fresh namespaces joined by a veth pair: server ``.1``, client ``.2``."""
    tag = uuid.uuid4().hex[:8]
    pair = NetnsPair(
        server_ns=f"iwsrv{tag}",
        client_ns=f"iwcli{tag}",
        server_if=f"iws{tag}",
        client_if=f"iwc{tag}",
        server_ip=f"{subnet}.1",
        client_ip=f"{subnet}.2",
    )
    created: list[str] = []
    try:
        for ns in (pair.server_ns, pair.client_ns):
            _ip("netns", "add", ns)
            created.append(ns)
        _ip("link", "add", pair.server_if, "type", "veth", "peer", "name", pair.client_if)
        for ns, iface, address in (
            (pair.server_ns, pair.server_if, pair.server_ip),
            (pair.client_ns, pair.client_if, pair.client_ip),
        ):
            _ip("link", "set", iface, "netns", ns)
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", iface)
            _ip("-n", ns, "link", "set", iface, "mtu", str(mtu), "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            if offloads_off and shutil.which("ethtool"):
                subprocess.run(
                    ["ip", "netns", "exec", ns, "ethtool", "-K", iface, "gro", "off",
                     "tso", "off", "gso", "off"],
                    capture_output=True, timeout=20, check=False,
                )  # fmt: skip
        yield pair
    finally:
        pair.stop_all()
        for ns in created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


@contextlib.contextmanager
def capturing(
    pair: NetnsPair, out: Path, bpf: str = "tcp", buffer_mb: int = 64, pcapng: bool = True
) -> Iterator[Path]:
    """dumpcap on the server's side of the link, writing ``out``; stopped and flushed at exit."""
    log = out.with_suffix(".dumpcap.log")
    argv = ["dumpcap", "-q", "-i", pair.server_if, "-f", bpf, "-B", str(buffer_mb), "-w", out]
    if not pcapng:
        argv.insert(1, "-P")
    process = pair.start("server", argv, log=log)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if out.exists() and out.stat().st_size > 0:
            break
        if process.poll() is not None:
            raise AssertionError("dumpcap stopped: " + log.read_text(errors="replace")[-500:])
        time.sleep(0.05)
    else:
        raise AssertionError("dumpcap did not start")
    time.sleep(0.3)
    try:
        yield out
    finally:
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
