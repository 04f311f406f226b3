"""What every chat channel does between receiving a message and showing the answer.

A channel adapter turns its update into an :class:`IncomingMessage`, asks
:meth:`Relay.replies` for the answer and renders the replies its own way. The relay
throttles flooding users, explains that only text is read when a message has none
(over-long text is refused by the core itself), and turns any failure into a short
apology so the bot keeps running. It runs inside the worker's unit of work: the
core's writes sit in a savepoint, so a failure undoes them and the apology stands alone.
De-duplication is the inbox's job (:mod:`bot.delivery.inbox`).
"""

from __future__ import annotations

import logging

from bot import texts
from bot.channels.throttle import Throttle, Verdict
from bot.core import AssistantUnavailable
from bot.messages import IncomingMessage, Reply

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
        settings = services.settings
        self.throttle = throttle or Throttle(settings.flood_limit, settings.flood_window_seconds)

    def replies(self, msg: IncomingMessage) -> list[Reply]:
        """The assistant's replies to ``msg``; empty for a silently dropped flood message."""
        verdict = self.throttle.check(f"{msg.channel}:{msg.user_id}")
        if verdict is not Verdict.PASS:
            log.info("%s update %s: user throttled", msg.channel, msg.update_id)
            return [Reply(SLOW_DOWN)] if verdict is Verdict.WARN else []

        if not msg.text.strip() and msg.payload is None:
            return [Reply(TEXT_ONLY)]

        try:
            # Building the assistant may itself fail (missing store, database down):
            # it happens here, so the failure gets the apology too.
            with self._services.db.session():
                return self._services.assistant.handle(msg)
        except AssistantUnavailable as error:
            log.error("%s update %s: assistant unavailable: %s", msg.channel, msg.update_id, error)
        except Exception:
            log.exception("%s update %s: assistant failed", msg.channel, msg.update_id)
        return [Reply(APOLOGY)]
