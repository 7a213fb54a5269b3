"""One DICOM association over an asyncio stream, driven by the lean PDU codec.

Every read has a deadline and every PDU size is bounded, so a peer that stalls, floods or
sends garbage costs at most the read timeout. The class sends only A-ASSOCIATE-RQ, C-ECHO,
a count-only C-FIND with C-CANCEL, A-RELEASE-RQ and A-ABORT: there is no code path that could
send C-STORE, C-MOVE, C-GET or N-SET.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from dataclasses import dataclass
from enum import StrEnum

from imagewarden.discovery import pdu
from imagewarden.discovery.connections import Connection
from imagewarden.discovery.interface import ProbeContext, ScopeRefusal, Target
from imagewarden.discovery.sop_classes import contexts

_PEER_CLOSE_WAIT = 0.5
"""Seconds to wait for a peer to close its end after a release or a rejection."""


class Outcome(StrEnum):
    """How a peer answered an A-ASSOCIATE-RQ (the fact dicom.association_outcome)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ABORTED = "aborted"
    CLOSED = "closed"
    """The peer closed the connection without a PDU (e.g. a TLS-only port, a refusing stack)."""
    NO_ANSWER = "no-answer"
    NOT_DICOM = "not-dicom"
    """Something else answered (an HTTP server, a banner): not a DICOM PDU type."""
    MALFORMED = "malformed"
    """A DICOM PDU type, but a truncated or malformed PDU (the reason says where, by byte)."""
    REFUSED = "refused"
    """Nothing listens: the TCP connection was refused or timed out."""


@dataclass(frozen=True, slots=True)
class AssociationResult:
    """The answer to one A-ASSOCIATE-RQ."""

    outcome: Outcome
    accept: pdu.AssociateAccept | None = None
    reject: pdu.AssociateReject | None = None
    accepted_syntaxes: tuple[str, ...] = ()
    reason: str = ""
    """Why it ended so: the reject or abort reason, or where a bad answer breaks."""
    speaks_http: bool = False
    """The port answered with HTTP."""
    speaks_tls: bool = False
    """The port answered a plain A-ASSOCIATE-RQ with a TLS alert: it expects a handshake."""


class BadAnswer(Exception):
    """The answer to an A-ASSOCIATE-RQ was not a well-formed answer PDU."""

    def __init__(
        self, outcome: Outcome, reason: str, *, closed: bool, http: bool = False, tls: bool = False
    ) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.closed = closed
        """The peer had closed the connection (nothing more to send it)."""
        self.http = http
        self.tls = tls


_ANSWERS = (pdu.ASSOCIATE_AC, pdu.ASSOCIATE_RJ, pdu.ABORT)
_TLS_ALERT = 0x15
"""TLS record type 21 (alert): what many TLS stacks send back for a plain-text first record."""


def _classify_header(header: bytes, *, closed: bool) -> None:
    """Raise BadAnswer unless ``header`` starts a PDU that may answer an A-ASSOCIATE-RQ."""
    if header[:1] == b"H" and b"HTTP/".startswith(header[:5]):
        raise BadAnswer(Outcome.NOT_DICOM, "answered with HTTP", closed=closed, http=True)
    first = header[0]
    if first == _TLS_ALERT and header[1:2] in (b"", b"\x03"):
        raise BadAnswer(
            Outcome.NOT_DICOM,
            "answered with a TLS alert (byte 0 is 0x15, a TLS alert record)",
            closed=closed,
            tls=True,
        )
    if first not in pdu.PDU_NAMES:
        raise BadAnswer(
            Outcome.NOT_DICOM, f"byte 0 is 0x{first:02x}, not a DICOM PDU type", closed=closed
        )
    if len(header) < pdu.HEADER:
        ending = "the connection closed" if closed else "the peer stopped sending"
        raise BadAnswer(
            Outcome.MALFORMED,
            f"the PDU header ends after {len(header)} of {pdu.HEADER} bytes ({ending})",
            closed=closed,
        )
    if first not in _ANSWERS:
        raise BadAnswer(
            Outcome.MALFORMED,
            f"{pdu.named(first)} (PDU type 0x{first:02x}) is not an answer to an A-ASSOCIATE-RQ",
            closed=closed,
        )


class Association:
    """One association (requested, then accepted) over a logged connection."""

    def __init__(
        self,
        connection: Connection,
        read_timeout: float,
        proposed: dict[int, str],
    ) -> None:
        self._connection = connection
        self._reader = connection.reader
        self._writer = connection.writer
        self._timeout = read_timeout
        self._proposed = proposed
        self._message_id = 0
        self.open = True

    @property
    def writer(self) -> asyncio.StreamWriter:
        """The stream, for TLS details of the connection (never for sending: use the methods)."""
        return self._writer

    async def request(self, data: bytes) -> pdu.Pdu:
        """Send the A-ASSOCIATE-RQ and read the answer.

        TimeoutError when nothing at all came back; BadAnswer for anything but a well-formed
        A-ASSOCIATE-AC, -RJ or A-ABORT, with the reason at byte level.
        """
        await self._send(data)
        deadline = time.monotonic() + self._timeout
        header, closed = await self._read_up_to(pdu.HEADER, deadline)
        if not header:
            if closed:
                raise ConnectionResetError("closed without an answer")
            raise TimeoutError
        _classify_header(header, closed=closed)
        pdu_type, length = header[0], struct.unpack(">I", header[2:6])[0]
        if length > pdu.MAX_ACCEPTED_PDU:
            raise BadAnswer(Outcome.MALFORMED, pdu.too_long(pdu_type, length), closed=False)
        body, closed = await self._read_up_to(length, deadline)
        if len(body) < length:
            ending = "the connection closed" if closed else "the peer stopped sending"
            raise BadAnswer(
                Outcome.MALFORMED,
                f"bytes 2-5 announce {pdu.named(pdu_type)} body of {length} bytes; {ending} "
                f"after {len(body)}",
                closed=closed,
            )
        try:
            return pdu.decode(pdu_type, body)
        except pdu.PduError as exc:
            raise BadAnswer(Outcome.MALFORMED, str(exc), closed=False) from None

    async def _read_up_to(self, size: int, deadline: float) -> tuple[bytes, bool]:
        """Up to ``size`` bytes by ``deadline``, and whether the peer closed before that."""
        data = bytearray()
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                while len(data) < size:
                    chunk = await self._reader.read(size - len(data))
                    if not chunk:
                        return bytes(data), True
                    data += chunk
        except TimeoutError:
            pass
        except (ConnectionError, OSError):
            return bytes(data), True
        return bytes(data), False

    async def _read(self, deadline: float | None = None) -> pdu.Pdu:
        timeout = self._timeout if deadline is None else max(0.0, deadline - time.monotonic())
        async with asyncio.timeout(timeout):
            header = await self._reader.readexactly(6)
            length = pdu.pdu_length(header)
            body = await self._reader.readexactly(length)
        return pdu.decode(header[0], body)

    async def _send(self, data: bytes) -> None:
        await self._connection.send(data)

    def set_outcome(self, outcome: str) -> None:
        """How this connection ended, for the connection log."""
        self._connection.log.outcome = outcome

    def context_for(self, abstract_syntax: str) -> int | None:
        """The presentation context id proposed for ``abstract_syntax``."""
        for ctx_id, uid in self._proposed.items():
            if uid == abstract_syntax:
                return ctx_id
        return None

    async def _next_command(self, deadline: float) -> tuple[int | None, int | None]:
        """(Command Field, Status) of the next command; datasets are skipped unread."""
        command = b""
        while True:
            reply = await self._read(deadline)
            if not isinstance(reply, pdu.PData):
                raise ConnectionError(type(reply).__name__)
            for value in reply.values:
                if value.is_command:
                    command += value.data
                    if len(command) > 4096:
                        raise pdu.PduError("command set too long")
                    if value.is_last:
                        return pdu.command_status(command)
                # A dataset value (a C-FIND identifier) is dropped here without being parsed.

    async def echo(self) -> int | None:
        """C-ECHO; the response status, or None when Verification was not proposed."""
        ctx_id = self.context_for(pdu.VERIFICATION)
        if ctx_id is None:
            return None
        self._message_id += 1
        await self._send(pdu.c_echo_rq(ctx_id, self._message_id))
        _, status = await self._next_command(time.monotonic() + self._timeout)
        return status

    async def count_studies(
        self, sop_class: str, limit: int, budget: float
    ) -> tuple[int, bool, int | None]:
        """(matches, capped, final status) of a STUDY-level C-FIND; identifiers never read.

        After ``limit`` pending responses a C-CANCEL is sent; the count is then reported as
        capped. ``budget`` bounds the whole exchange in seconds.
        """
        ctx_id = self.context_for(sop_class)
        if ctx_id is None:
            return 0, False, None
        self._message_id += 1
        message_id = self._message_id
        await self._send(pdu.c_find_rq(ctx_id, message_id, sop_class))
        deadline = time.monotonic() + budget
        matches, cancelled = 0, False
        for _ in range(limit + 1000):  # bounded even if the peer ignores C-CANCEL
            _, status = await self._next_command(deadline)
            if status in pdu.PENDING_STATUSES:
                matches += 1
                if matches >= limit and not cancelled:
                    await self._send(pdu.c_cancel_rq(ctx_id, message_id))
                    cancelled = True
                continue
            return min(matches, limit), cancelled, status
        return min(matches, limit), True, None

    async def release(self) -> None:
        """A-RELEASE-RQ, then wait (briefly) for the reply and the peer's close."""
        if not self.open:
            return
        self.open = False
        ending = "no release reply"
        try:
            await self._send(pdu.release_rq())
            for _ in range(8):  # skip any late P-DATA until the release reply
                reply = await self._read()
                if isinstance(reply, pdu.ReleaseReply | pdu.Abort):
                    ending = "released" if isinstance(reply, pdu.ReleaseReply) else "aborted"
                    break
        except (OSError, TimeoutError, asyncio.IncompleteReadError, pdu.PduError, ConnectionError):
            pass
        finally:
            self._connection.log.outcome += f", {ending}"
            await self.close(wait_for_peer=True)

    async def abort(self) -> None:
        """A-ABORT, then close."""
        if self.open:
            self.open = False
            with contextlib.suppress(OSError, RuntimeError):
                await self._send(pdu.abort_pdu())
            self._connection.log.outcome += ", aborted by discovery"
        await self.close()

    async def close(self, *, wait_for_peer: bool = False) -> None:
        """Close the connection. With ``wait_for_peer`` (after a release or a rejection, when
        the peer is expected to close too), half-close first and wait, briefly, for the peer
        to close its end: the next association to the same host then never overlaps this
        one from the device's point of view, even on a slow embedded stack."""
        self.open = False
        if wait_for_peer and self._writer.can_write_eof():
            with contextlib.suppress(OSError, TimeoutError, ConnectionError, RuntimeError):
                self._writer.write_eof()
                async with asyncio.timeout(_PEER_CLOSE_WAIT):
                    for _ in range(64):  # bounded: late bytes are read and dropped, never kept
                        if not await self._reader.read(4096):
                            break
        self._writer.close()
        with contextlib.suppress(OSError, TimeoutError, asyncio.CancelledError, Exception):
            async with asyncio.timeout(0.5):
                await self._writer.wait_closed()


async def associate(
    ctx: ProbeContext,
    target: Target,
    calling: str,
    called: str,
    abstract_syntaxes: tuple[str, ...],
    *,
    tls: bool = False,
) -> tuple[AssociationResult, Association | None]:
    """Request an association; on acceptance the caller must release (or abort) it."""
    try:
        connection = await ctx.connect(target, tls=tls)
    except ScopeRefusal:
        raise  # not a closed port: the scheduler records it as not contacted
    except (OSError, TimeoutError):
        return AssociationResult(Outcome.REFUSED), None
    proposed_contexts = contexts(abstract_syntaxes)
    proposed = {c.id: c.abstract_syntax for c in proposed_contexts}
    assoc = Association(connection, ctx.options.read_timeout, proposed)
    result = await _request(assoc, proposed, calling, called, proposed_contexts)
    detail = f" ({result.reason})" if result.reason else ""
    assoc.set_outcome(result.outcome.value + detail)
    return result, (assoc if result.outcome is Outcome.ACCEPTED else None)


async def _request(
    assoc: Association,
    proposed: dict[int, str],
    calling: str,
    called: str,
    proposed_contexts: tuple[pdu.PresentationContext, ...],
) -> AssociationResult:
    try:
        reply = await assoc.request(pdu.associate_rq(calling, called, proposed_contexts))
    except TimeoutError:
        await assoc.abort()
        return AssociationResult(Outcome.NO_ANSWER)
    except BadAnswer as bad:
        # A TLS stack that sent an alert has ended the session: nothing more is sent to it.
        await (assoc.close() if bad.closed or bad.tls else assoc.abort())
        return AssociationResult(
            bad.outcome, reason=bad.reason, speaks_http=bad.http, speaks_tls=bad.tls
        )
    except (ConnectionError, OSError):
        await assoc.close()
        return AssociationResult(Outcome.CLOSED)
    if isinstance(reply, pdu.AssociateAccept):
        accepted = tuple(
            proposed[i]
            for i, result in sorted(reply.results.items())
            if result == 0 and i in proposed
        )
        return AssociationResult(Outcome.ACCEPTED, accept=reply, accepted_syntaxes=accepted)
    await assoc.close(wait_for_peer=True)
    if isinstance(reply, pdu.AssociateReject):
        return AssociationResult(Outcome.REJECTED, reject=reply, reason=reply.describe())
    if isinstance(reply, pdu.Abort):
        return AssociationResult(Outcome.ABORTED, reason=reply.describe())
    raise AssertionError("request() returns only answer PDUs")  # pragma: no cover
