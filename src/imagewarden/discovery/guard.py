"""The socket-level guard: the last check before a connection is dialled, the first after.

The scope already leaves excluded and outside hosts out of its targets; this guard does not
rely on that. Immediately before dialling, the host is parsed to its canonical address
(host names are refused: the scope names addresses, so nothing is ever looked up) and checked
against the scope again, and that canonical address, not the text handed in, is what is
dialled. Right after the TCP connection is up, before a single byte or TLS hello is sent, the
peer the socket actually reached must be the address dialled and inside the scope. Every
refusal is logged as a refused connection.
"""

from __future__ import annotations

import logging

from imagewarden.discovery.addresses import canonical_address
from imagewarden.discovery.interface import ScopeRefusal
from imagewarden.discovery.scope import Scope

log = logging.getLogger(__name__)


def refuse(host: str, reason: str) -> ScopeRefusal:
    """Log a refused connection and return the exception to raise."""
    log.warning("refused connection to %r: %s", host, reason)
    return ScopeRefusal(reason)


def assert_dialable(host: str, scope: Scope) -> str:
    """The canonical address to dial for ``host``; ScopeRefusal when the scope refuses it."""
    reason = scope.refusal(host)
    if reason is not None:
        raise refuse(host, reason)
    return str(canonical_address(host))


def assert_peer(peername: object, dialled: str, scope: Scope) -> None:
    """ScopeRefusal unless the connected peer is the address dialled and inside the scope.

    ``peername`` is what the socket reports: (host, port) for IPv4, (host, port, flow, scope)
    for IPv6. A peer that cannot be read is refused: it cannot be shown to be allowed.
    """
    host = peername[0] if isinstance(peername, tuple) and peername else None
    if not isinstance(host, str):
        raise refuse(dialled, "the connected peer's address is unknown")
    reason = scope.refusal(host)
    if reason is None and str(canonical_address(host)) != str(canonical_address(dialled)):
        reason = f"the connected peer {host} is not the address dialled ({dialled})"
    if reason is not None:
        raise refuse(host, f"connected peer refused: {reason}")
