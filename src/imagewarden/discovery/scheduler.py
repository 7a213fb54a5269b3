"""Run probes over a scope: gentle by construction.

- Every connection goes through ``ScopedContext.connect``, which refuses an address outside
  the scope (exclusions win) or past the time window, then waits for the global and per-host
  rate limits. It dials the canonical address through the socket guard (``guard.py``), which
  checks the scope again right before dialling and checks the connected peer before a byte
  is sent. The HTTP probe's client dials through the same guard; no probe opens a socket any
  other way.
- Hosts are grouped, paced and counted by canonical address: two spellings of one host are
  one host.
- Hosts are probed concurrently up to ``hosts_in_parallel``; the targets of one host run
  ``associations_per_host`` at a time (1 by default), so a device never sees two of our
  associations at once.
- No retries: a timeout or refusal is a result. Each target has a hard time budget, so the
  whole run is bounded. Ctrl-C cancels every task and closes their sockets.
- Every connection attempt that passed the scope gets a connection log entry; when a
  target's probe ends (or is cancelled) its entries are handed to ``on_connection``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import logging
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from imagewarden.discovery.addresses import canonical_text
from imagewarden.discovery.catalog_data import DiscoveryData, shipped_data
from imagewarden.discovery.connections import Connection, ConnectionEntry, ConnectionRecord
from imagewarden.discovery.guard import assert_dialable, assert_peer, refuse
from imagewarden.discovery.interface import (
    DicomTitles,
    ProbeOptions,
    ScopeRefusal,
    ServiceResult,
    Target,
    TargetStatus,
)
from imagewarden.discovery.probes import PROBES, runs
from imagewarden.discovery.probes.tls import client_context
from imagewarden.discovery.scope import Scope

log = logging.getLogger(__name__)


class Pacer:
    """At most ``per_second`` starts per second, evenly spaced (no bursts)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        """Wait for the next free slot."""
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


INTERRUPTED = "interrupted (discovery stopped)"
"""How a connection open when discovery was stopped (Ctrl-C) ends in the log."""
BUDGET_SPENT = "probe time budget exhausted"
"""A target whose probe ran out of time (``target_budget``): its result, and how a
connection it left open ends in the log."""


def _connect_failure(exc: BaseException) -> str:
    """A failed connection attempt's outcome, for the log."""
    if isinstance(exc, ScopeRefusal):
        return f"dropped before sending: {exc}"
    if isinstance(exc, TimeoutError):
        return "no answer (timeout)"
    if isinstance(exc, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"failed ({errno.errorcode.get(exc.errno, exc.errno)})"
    return f"failed ({type(exc).__name__})"


class ScopedContext:
    """The ``ProbeContext`` of one run: scope checks, pacing, connection log entries."""

    def __init__(
        self, scope: Scope, options: ProbeOptions, data: DiscoveryData | None = None
    ) -> None:
        self.scope = scope
        self.options = options
        self.data = data if data is not None else shipped_data()
        rate = scope.spec.rate
        self._global = Pacer(rate.global_per_second)
        self._per_host: dict[str, Pacer] = defaultdict(lambda: Pacer(rate.per_host_per_second))
        self._entries: dict[Target, list[ConnectionEntry]] = defaultdict(list)

    def titles(self, target: Target) -> DicomTitles:
        """The scope's AE titles for ``target``."""
        return self.scope.titles(target)

    def log_connection(self, target: Target) -> ConnectionEntry:
        """A new log entry for a connection to ``target`` (kept until the target finishes)."""
        titles = self.scope.titles(target)
        configured = {self.scope.spec.dicom.calling_ae, self.scope.spec.dicom.called_ae}
        entry = ConnectionEntry(target, frozenset({*configured, titles.calling, titles.called}))
        self._entries[target].append(entry)
        return entry

    def finish(self, target: Target, *, cut_short: str | None = None) -> list[ConnectionRecord]:
        """The log records of every connection made for ``target``, in order; with
        ``cut_short`` (how the target's probe was ended: ``INTERRUPTED`` or
        ``BUDGET_SPENT``), a connection still open or still being made is recorded so."""
        entries = self._entries.pop(target, [])
        if cut_short is not None:
            for entry in entries:
                if entry.outcome == "connected":
                    entry.outcome = cut_short
        return [entry.record() for entry in entries]

    async def admit(self, target: Target) -> None:
        """Refuse a target the scope or the window does not allow; wait for the pacers."""
        reason = self.scope.refusal(target.host) or self.scope.window_refusal(
            dt.datetime.now(dt.UTC)
        )
        if reason is not None:
            raise refuse(target.host, reason)
        host = canonical_text(target.host)
        await self._per_host[host].wait()
        await self._global.wait()

    def dialable(self, host: str) -> str:
        """The canonical address to dial (ScopeRefusal outside the scope)."""
        return assert_dialable(host, self.scope)

    def check_peer(self, dialled: str, peername: object) -> None:
        """ScopeRefusal unless the connected peer is the dialled, allowed address."""
        assert_peer(peername, dialled, self.scope)

    async def connect(self, target: Target, *, tls: bool = False) -> Connection:
        """A scoped, paced, logged connection (TLS unverified, without SNI, when asked)."""
        await self.admit(target)
        address = self.dialable(target.host)
        entry = self.log_connection(target)
        budget = self.options.connect_timeout + (self.options.read_timeout if tls else 0.0)
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(budget):
                # A numeric host only: the canonical address is dialled, never looked up.
                reader, writer = await asyncio.open_connection(
                    address, target.port, flags=socket.AI_NUMERICHOST
                )
                # The peer is checked before anything is sent, so TLS starts only afterwards.
                self.check_peer(address, writer.get_extra_info("peername"))
                if tls:
                    entry.note("TLS-ClientHello")
                    # No server name (SNI): the target is an address, not a name.
                    await writer.start_tls(client_context(), server_hostname=None)
        except BaseException as exc:
            # Cancelled (the run was stopped, or the target's time budget ran out): the
            # attempt stays open in the log, and ``finish`` says how it ended, as for a
            # connection stopped after it was made.
            if not isinstance(exc, asyncio.CancelledError):
                entry.outcome = _connect_failure(exc)
            if writer is not None:
                writer.close()
            raise
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # Without this every request/response pair waits ~40 ms for a delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Connection(reader, writer, entry)


def target_budget(options: ProbeOptions) -> float:
    """Hard ceiling for one target: a few associations, each bounded by the timeouts."""
    return 8 * (options.connect_timeout + options.read_timeout) + 4 * options.read_timeout


async def _probe_one(target: Target, ctx: ScopedContext) -> ServiceResult:
    try:
        async with asyncio.timeout(target_budget(ctx.options)):
            return await PROBES[target.kind](target, ctx)
    except TimeoutError:
        return ServiceResult(
            target,
            True,
            None,
            notes=(BUDGET_SPENT,),
            status=TargetStatus.FAILED,
            outcome=BUDGET_SPENT,
        )
    except PermissionError as exc:
        return ServiceResult(
            target,
            False,
            None,
            notes=(f"not contacted: {exc}",),
            status=TargetStatus.NOT_CONTACTED,
            outcome="not contacted",
        )
    except Exception as exc:  # one odd peer must not end the scan; the class names the cause
        log.warning("probe of %s failed: %s", target, type(exc).__name__)
        note = f"probe error: {type(exc).__name__}"
        return ServiceResult(
            target, True, None, notes=(note,), status=TargetStatus.FAILED, outcome="failed"
        )


ConnectionCallback = Callable[[ConnectionRecord], None]


async def discover(
    scope: Scope,
    targets: Sequence[Target],
    options: ProbeOptions,
    on_result: Callable[[ServiceResult], None] | None = None,
    ctx: ScopedContext | None = None,
    on_connection: ConnectionCallback | None = None,
) -> list[ServiceResult]:
    """Probe every target; results come back in target order."""
    ctx = ctx or ScopedContext(scope, options)
    rate = scope.spec.rate
    by_host: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        if runs(target.kind, options.profile):
            by_host[canonical_text(target.host)].append(target)
    hosts = asyncio.Semaphore(rate.hosts_in_parallel)
    results: dict[Target, ServiceResult] = {}

    async def one(target: Target, lane: asyncio.Semaphore) -> None:
        """Probe one target within its host's lane; log its connections."""
        async with lane:
            cut_short: str | None = INTERRUPTED
            try:
                result = await _probe_one(target, ctx)
                cut_short = BUDGET_SPENT if result.outcome == BUDGET_SPENT else None
            finally:
                # Even when cancelled (Ctrl-C): every connection made is logged, one left
                # open by the stop or by the probe's time budget as such.
                for record in ctx.finish(target, cut_short=cut_short):
                    if on_connection is not None:
                        on_connection(record)
        results[target] = result
        if on_result is not None:
            on_result(result)

    async def host(items: list[Target]) -> None:
        """Probe one host's targets, a few at a time."""
        async with hosts:
            lane = asyncio.Semaphore(rate.associations_per_host)
            await asyncio.gather(*(one(t, lane) for t in items))

    await asyncio.gather(*(host(items) for items in by_host.values()))
    return [results[t] for t in targets if t in results]


def run_discovery(
    scope: Scope,
    targets: Sequence[Target],
    options: ProbeOptions,
    on_result: Callable[[ServiceResult], None] | None = None,
    *,
    data: DiscoveryData | None = None,
    on_connection: ConnectionCallback | None = None,
) -> list[ServiceResult]:
    """Probe ``targets`` (the scope's shipped-catalog data unless ``data`` is given)."""
    ctx = ScopedContext(scope, options, data)
    return asyncio.run(discover(scope, targets, options, on_result, ctx, on_connection))
