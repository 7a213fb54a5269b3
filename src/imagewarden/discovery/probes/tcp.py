"""TCP reachability: connect, then close without sending a byte."""

from __future__ import annotations

import asyncio
import contextlib

from imagewarden.discovery.interface import ProbeContext, ScopeRefusal, Target


async def is_open(target: Target, ctx: ProbeContext) -> bool:
    try:
        _, writer = await ctx.connect(target)
    except ScopeRefusal:
        raise  # not a closed port: the scheduler records it as not contacted
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(0.5):
            await writer.wait_closed()
    return True
