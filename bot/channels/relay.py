"""What every chat channel does between receiving a message and showing the answer.

A channel adapter turns its payload into an :class:`IncomingMessage`, asks
:meth:`Relay.replies` for the answer and renders the replies its own way. The relay
drops repeated deliveries, throttles flooding users, explains that only text is
read when a message has none (over-long text is refused by the core itself),
runs the synchronous assistant core in a worker thread, and turns any failure into
a short apology so the bot keeps running.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from bot import texts
from bot.channels.throttle import Throttle, Verdict
from bot.core import AssistantUnavailable
from bot.messages import IncomingMessage, Reply
from hocvuso.db import mark_update_processed

log = logging.getLogger(__name__)

# Apology and "text only" are the core's wording, so every channel says the same.
APOLOGY = texts.UNAVAILABLE
TEXT_ONLY = texts.NO_TEXT
SLOW_DOWN = texts.SLOW_DOWN


class ChannelNotConfigured(Exception):
    """A channel lacks a setting it needs (the message says which, in Vietnamese)."""


class Relay:
    """Hands one channel's messages to the assistant and always has something to say back."""

    def __init__(self, services, throttle: Throttle | None = None):
        self._services = services
        self.throttle = throttle or Throttle()

    async def replies(self, msg: IncomingMessage) -> list[Reply]:
        """The assistant's replies to ``msg``; empty for a repeated delivery or a silent drop."""
        try:
            if msg.update_id is not None and not await asyncio.to_thread(self._first_time, msg):
                log.info("%s update %s delivered again: ignored", msg.channel, msg.update_id)
                return []
        except Exception:
            log.exception("%s update %s: cannot record it as processed", msg.channel, msg.update_id)
            return [Reply(APOLOGY)]

        verdict = self.throttle.check(f"{msg.channel}:{msg.user_id}")
        if verdict is not Verdict.PASS:
            log.info("%s update %s: user throttled", msg.channel, msg.update_id)
            return [Reply(SLOW_DOWN)] if verdict is Verdict.WARN else []

        if not msg.text.strip() and msg.payload is None:
            return [Reply(TEXT_ONLY)]

        try:
            return await asyncio.to_thread(self._handle, msg)
        except AssistantUnavailable as error:
            log.error("%s update %s: assistant unavailable: %s", msg.channel, msg.update_id, error)
        except Exception:
            log.exception("%s update %s: assistant failed", msg.channel, msg.update_id)
        return [Reply(APOLOGY)]

    def _first_time(self, msg: IncomingMessage) -> bool:
        return mark_update_processed(self._services.db, msg.channel, msg.update_id)

    def _handle(self, msg: IncomingMessage) -> list[Reply]:
        # Building the assistant may itself fail (missing store, database down):
        # it happens here, inside the worker thread, so the failure gets the apology too.
        return self._services.assistant.handle(msg)


class UserLocks:
    """One lock per user: a user's messages are answered in order, different users concurrently."""

    def __init__(self):
        # Weak values: a lock disappears once no message of that user is in flight.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, user: str) -> asyncio.Lock:
        """The lock of ``user``."""
        lock = self._locks.get(user)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user] = lock
        return lock
