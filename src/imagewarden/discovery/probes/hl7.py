"""HL7 MLLP listener detection and TLS, without sending any HL7 message.

An MLLP listener waits for the client to speak, so an open port that stays silent for a moment
is what one looks like. We never send a message: an HL7 message would be processed as a real
order or result. Whether the port speaks TLS is learned from a TLS handshake alone.
"""

from __future__ import annotations

import asyncio
import contextlib

from imagewarden.discovery.interface import ProbeContext, ScopeRefusal, ServiceResult, Target
from imagewarden.discovery.probes.tls import probe_tls
from imagewarden.model import FactValue, ServiceProtocol

_SILENCE = 0.3


async def probe_hl7(target: Target, ctx: ProbeContext) -> ServiceResult:
    """Probe one HL7 MLLP port without sending a message (see the module docstring)."""
    try:
        connection = await ctx.connect(target)
    except ScopeRefusal:
        raise  # not a closed port: the scheduler records it as not contacted
    except (OSError, TimeoutError):
        return ServiceResult.closed(target)
    banner = False
    try:
        async with asyncio.timeout(_SILENCE):
            banner = bool(await connection.reader.read(1))
    except (TimeoutError, OSError):
        pass
    finally:
        connection.log.outcome = "speaks first" if banner else "silent"
        writer = connection.writer
        writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(0.5):
                await writer.wait_closed()
    if banner:
        # Something that talks first (SSH, FTP, SMTP...) is not an MLLP listener.
        outcome = "speaks first"
        return ServiceResult(target, True, ServiceProtocol.OTHER, notes=(outcome,), outcome=outcome)
    tls = await probe_tls(target, ctx)
    facts: dict[str, FactValue] = dict(tls) if tls else {"service.tls": False}
    notes = ("silent listener (MLLP)",)
    return ServiceResult(target, True, ServiceProtocol.HL7, facts, notes, outcome="silent")
