"""What long polling on every channel shares: a poll that gives way when the bot is stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable


async def unless_stopped(poll: Awaitable[list], stop: asyncio.Event) -> list:
    """The poll's updates, or none when ``stop`` is set first (the poll is then cancelled)."""
    polling = asyncio.ensure_future(poll)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not polling.done():
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        return []
    return polling.result()
