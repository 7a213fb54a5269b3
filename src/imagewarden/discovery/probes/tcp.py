"""TCP reachability: connect, then close without sending a byte."""

from __future__ import annotations

import asyncio
import contextlib

from imagewarden.discovery.interface import ProbeContext, Target


async def is_open(target: Target, ctx: ProbeContext) -> bool:
    try:
        _, writer = await ctx.connect(target)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(0.5):
            await writer.wait_closed()
    return True
