"""The HTTP probe's connections, dialled through the probe context's socket guard, and logged.

httpx opens its own sockets (through httpcore), so they do not pass ``ScopedContext.connect``.
This transport gives httpcore a network backend that asks the context for the address to dial
(the canonical form; a ScopeRefusal for anything outside the scope or any host name) and
checks the connected peer before httpcore sends a byte or starts TLS. Each connection gets a
connection log entry: its request lines (method and path; never a header, so never a
credential) and the status codes that came back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import httpcore
import httpx

from imagewarden.discovery.interface import ScopeRefusal, Target, TargetKind
from imagewarden.discovery.probes.tls import new_client_context

if TYPE_CHECKING:
    import ssl

    from imagewarden.discovery.connections import ConnectionEntry

# httpcore's SOCKET_OPTION, spelled out: it is not exported.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
_REQUEST_LINE = re.compile(rb"^([A-Z]{3,7}) (\S{1,200}) HTTP/1\.[01]\r\n")
_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3})[ \r]")


class DialGuard(Protocol):
    """What the backend needs from the probe context."""

    def dialable(self, host: str) -> str:
        """The canonical address to dial for ``host`` (ScopeRefusal outside the scope)."""
        ...

    def check_peer(self, dialled: str, peername: object) -> None:
        """ScopeRefusal unless the connected peer is the dialled, allowed address."""
        ...

    def log_connection(self, target: Target) -> ConnectionEntry:
        """A connection log entry for a new connection to ``target``."""
        ...


class _LoggedStream(httpcore.AsyncNetworkStream):
    """A network stream that notes request lines and status codes in a log entry."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, entry: ConnectionEntry) -> None:
        self._inner = inner
        self._entry = entry
        self._statuses: list[str] = []
        self._awaiting_status = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        if self._awaiting_status and data:
            self._awaiting_status = False
            match = _STATUS_LINE.match(data)
            self._statuses.append(match.group(1).decode() if match else "not HTTP")
            self._entry.outcome = "HTTP " + ", ".join(self._statuses)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        match = _REQUEST_LINE.match(buffer)
        if match is not None:
            head = buffer.split(b"\r\n\r\n", 1)[0].lower()
            credential = ";default-credential" if b"\r\nauthorization:" in head else ""
            path = match.group(2).decode("ascii", "replace").replace(",", "%2C")
            self._entry.note(f"{match.group(1).decode()}({path}{credential})")
            self._awaiting_status = True
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self._entry.note("TLS-ClientHello")
        try:
            inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        except Exception:
            self._entry.outcome = "TLS handshake failed"
            raise
        return _LoggedStream(inner, self._entry)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, dialling only what the guard allows; every connection
    logged as a connection to a target of ``kind``."""

    def __init__(
        self,
        guard: DialGuard,
        kind: TargetKind = TargetKind.HTTP,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._guard = guard
        self._kind = kind
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Dial the canonical address after the guard's check; log it."""
        address = self._guard.dialable(host)
        entry = self._guard.log_connection(Target(address, port, self._kind))
        try:
            stream = await self._inner.connect_tcp(
                address, port, timeout, local_address, socket_options
            )
        except httpcore.ConnectTimeout:
            entry.outcome = "no answer (timeout)"
            raise
        except httpcore.ConnectError:
            entry.outcome = "refused"
            raise
        try:
            self._guard.check_peer(address, stream.get_extra_info("server_addr"))
        except BaseException as exc:
            entry.outcome = f"dropped before sending: {exc}"
            await stream.aclose()
            raise
        return _LoggedStream(stream, entry)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refused: the scope allows addresses only."""
        raise ScopeRefusal("a Unix socket is not an address the scope can allow")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the inner backend does."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (no retries, unverified TLS, no proxy) on a guarded backend."""

    def __init__(self, guard: DialGuard, kind: TargetKind = TargetKind.HTTP) -> None:
        super().__init__(verify=False, retries=0, trust_env=False)
        # httpx takes no network backend, so its (still unused) pool is replaced by one built
        # the same way on the guarded backend. tests/discovery/test_scope_guard.py fails if a
        # later httpx stops dialling through it.
        # The TLS context is the other probes' (unverified, old versions allowed), so a device
        # that offers only TLS 1.0 is reported as such instead of looking closed.
        ssl_context = new_client_context()
        ssl_context.set_alpn_protocols(["http/1.1"])
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            retries=0,
            network_backend=GuardedBackend(guard, kind),
        )
