"""The HTTP probe's connections, dialled through the probe context's socket guard.

httpx opens its own sockets (through httpcore), so they do not pass ``ScopedContext.connect``.
This transport gives httpcore a network backend that asks the context for the address to dial
(the canonical form; a ScopeRefusal for anything outside the scope or any host name) and
checks the connected peer before httpcore sends a byte or starts TLS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import httpcore
import httpx

from imagewarden.discovery.interface import ScopeRefusal

# httpcore's SOCKET_OPTION, spelled out: it is not exported.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class DialGuard(Protocol):
    def dialable(self, host: str) -> str: ...

    def check_peer(self, dialled: str, peername: object) -> None: ...


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: DialGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = self._guard.dialable(host)
        stream = await self._inner.connect_tcp(
            address, port, timeout, local_address, socket_options
        )
        try:
            self._guard.check_peer(address, stream.get_extra_info("server_addr"))
        except BaseException:
            await stream.aclose()
            raise
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ScopeRefusal("a Unix socket is not an address the scope can allow")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (no retries, unverified TLS, no proxy) on a guarded backend."""

    def __init__(self, guard: DialGuard) -> None:
        super().__init__(verify=False, retries=0, trust_env=False)
        # httpx takes no network backend, so its (still unused) pool is replaced by one built
        # the same way on the guarded backend. tests/discovery/test_scope_guard.py fails if a
        # later httpx stops dialling through it.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=False, trust_env=False),
            retries=0,
            network_backend=GuardedBackend(guard),
        )
