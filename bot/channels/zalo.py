"""The assistant on Zalo, through the Zalo Bot Platform API (httpx, no SDK).

The API follows Telegram's Bot API. What this module relies on, as documented at
https://bot.zaloplatforms.com/docs (pages ``/docs/BOT/apis/getUpdates``, ``sendMessage``,
``setWebhook``, ``deleteWebhook`` and ``/docs/BOT/webhook``, "Stable v2.5.0"), and as
used by public clients of the API:

- every call is ``POST {base}/bot{TOKEN}/{method}`` with a JSON body, base
  ``https://bot-api.zaloplatforms.com``; the answer is ``{"ok": true, "result": ...}``
  or ``{"ok": false, "error_code": ..., "description": ...}``;
- ``getUpdates`` (body ``{"timeout": 30}``) long-polls and returns ONE update as
  ``result`` (no offset, no update id); an empty poll ends in ``ok: false`` with
  ``error_code`` 408 ("Request timeout");
- an update is ``{"event_name": "message.text.received", "message": {"message_id",
  "date", "text", "from": {"id", "display_name", "is_bot"}, "chat": {"id",
  "chat_type": "PRIVATE" | "GROUP"}}}``; other events are ``message.image.received``,
  ``message.sticker.received``, ``message.voice.received``,
  ``message.unsupported.received``; replies go to ``message.chat.id``;
- ``sendMessage`` takes ``{"chat_id", "text"}`` with 1–2000 characters of text;
- ``setWebhook`` takes ``{"url", "secret_token"}`` (secret of 8–256 characters) and
  each webhook POST carries the secret in ``X-Bot-Api-Secret-Token``; its body is
  ``{"ok": true, "result": <update>}``; polling and webhook exclude each other
  (``deleteWebhook`` returns to polling).

Zalo shows text only: buttons become numbered options, answered by number or text.
Updates are stored in the inbox first (:func:`intake_keys` names them) and answered
by a worker through :class:`UpdateHandler`; the ``sendMessage`` calls go to the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx

from bot import texts
from bot.channels.numbered import choose, offer_text
from bot.channels.polling import unless_stopped
from bot.channels.relay import ChannelNotConfigured, Relay
from bot.channels.splitting import split_text
from bot.delivery import inbox
from bot.messages import Button, IncomingMessage, Reply
from hocvuso.db.models import ChatOptions

log = logging.getLogger(__name__)

CHANNEL = "zalo"
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
MESSAGE_LIMIT = 2000
POLL_TIMEOUT_SECONDS = 30
TEXT_EVENT = "message.text.received"
# Errors that retrying cannot fix: a wrong or revoked token.
_FATAL_ERROR_CODES = {401, 403, 404}


class ZaloError(Exception):
    """The Zalo Bot API answered ``ok: false``."""

    def __init__(self, method: str, code: int | None, description: str):
        super().__init__(f"{method}: {code} {description}")
        self.code = code


class ZaloClient:
    """The few Zalo Bot API methods the assistant needs."""

    def __init__(self, token: str, base_url: str = "", http: httpx.AsyncClient | None = None):
        self._url = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/bot{token}"
        # Long polls wait up to POLL_TIMEOUT_SECONDS on the server: the read timeout is longer.
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=POLL_TIMEOUT_SECONDS + 15))

    async def call(self, method: str, **params: Any) -> Any:
        """Call ``method`` and return its ``result``; raise :class:`ZaloError` on ``ok: false``."""
        try:
            response = await self._http.post(f"{self._url}/{method}", json=params)
        except httpx.HTTPError as error:
            # The URL holds the token: report the method and the error kind only.
            raise ConnectionError(f"Zalo {method}: {type(error).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            raise ZaloError(method, response.status_code, "câu trả lời không phải JSON") from None
        if not isinstance(body, dict) or not body.get("ok"):
            body = body if isinstance(body, dict) else {}
            raise ZaloError(method, body.get("error_code", response.status_code), str(body.get("description", "")))
        return body.get("result")

    async def get_me(self) -> dict:
        """The bot's own account."""
        return await self.call("getMe")

    async def get_updates(self, timeout: int = POLL_TIMEOUT_SECONDS) -> list[dict]:
        """Wait up to ``timeout`` seconds for updates; an empty list when none came."""
        try:
            result = await self.call("getUpdates", timeout=timeout)
        except ZaloError as error:
            if error.code == 408:
                return []
            raise
        if isinstance(result, list):
            return [update for update in result if isinstance(update, dict)]
        return [result] if isinstance(result, dict) and result else []

    async def send_message(self, chat_id: str, text: str) -> dict:
        """Send a plain text message (at most 2000 characters)."""
        return await self.call("sendMessage", chat_id=chat_id, text=text)

    async def set_webhook(self, url: str, secret_token: str) -> dict:
        """Deliver updates to ``url`` with ``secret_token`` in ``X-Bot-Api-Secret-Token``."""
        return await self.call("setWebhook", url=url, secret_token=secret_token)

    async def delete_webhook(self) -> dict:
        """Stop webhook delivery so that ``getUpdates`` works again."""
        return await self.call("deleteWebhook")

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()


def intake_keys(update: dict) -> tuple[str, str]:
    """(update key, chat key) of a raw update: ``chat:message_id``, or a content-and-time key.

    A message id is unique within its chat only, so the chat is part of the key. Without
    a message id the same event from the same sender in the same chat, with the same
    text at the same time, is the same update.
    """
    message = update.get("message") if isinstance(update.get("message"), dict) else {}
    chat = _id(message.get("chat")) or ""
    message_id = message.get("message_id")
    if message_id not in (None, ""):
        return f"{chat}:{message_id}", chat
    basis = json.dumps(
        [update.get("event_name"), chat, _id(message.get("from")), message.get("date"), message.get("text")],
        ensure_ascii=False,
    )
    return f"{chat}:h:{hashlib.sha256(basis.encode()).hexdigest()[:40]}", chat


class UpdateHandler:
    """One stored Zalo update in, ``sendMessage`` calls out: text, numbered options, citations.

    The options offered last in a chat live in ``chat_options``, written in the same
    transaction, so "2" means the same thing to every worker.
    """

    channel = CHANNEL

    def __init__(self, relay: Relay):
        self.relay = relay

    def process(self, session, update: dict) -> list[tuple[str, dict]]:
        """Answer the update; one without a message, chat or sender is ignored."""
        message = update.get("message")
        if not isinstance(message, dict):
            log.info("zalo update without a message (%s): ignored", update.get("event_name"))
            return []
        chat_id = _id(message.get("chat"))
        user_id = _id(message.get("from")) or chat_id
        # For logs: the message id alone (the key's chat part is a raw user id in private chats).
        update_id = intake_keys(update)[0].rpartition(":")[2]
        if chat_id is None or user_id is None:
            log.warning("zalo update %s without chat or sender: ignored", update_id)
            return []
        stored = session.get(ChatOptions, (CHANNEL, chat_id))
        offered = [Button(label, payload) for label, payload in stored.buttons] if stored else []
        msg = self._incoming(update.get("event_name"), message, user_id, offered, update_id)
        if str((message.get("chat") or {}).get("chat_type", "")).upper() == "PRIVATE":
            msg = replace(msg, chat_id=chat_id)  # an address for later messages (announcements)
        replies = self.relay.replies(msg)
        parts: list[str] = []
        for reply in replies:
            parts += render(reply)
            if reply.buttons:
                offered = reply.buttons
        if any(reply.buttons for reply in replies):
            last = [[b.label, b.payload] for b in offered]
            if stored is None:
                session.add(ChatOptions(channel=CHANNEL, chat_key=chat_id, buttons=last))
            else:
                stored.buttons = last
        elif replies and stored is not None:
            session.delete(stored)  # the conversation moved on: numbers mean nothing
        return [("sendMessage", {"chat_id": chat_id, "text": part}) for part in parts]

    def _incoming(self, event: str | None, message: dict, user_id: str, offered: list[Button],
                  update_id: str) -> IncomingMessage:
        if event != TEXT_EVENT or not isinstance(message.get("text"), str):
            # Images, stickers, voice, or content Zalo withholds: the relay explains.
            return IncomingMessage(channel=CHANNEL, user_id=user_id, update_id=update_id)
        text = message["text"]
        payload = choose(offered, text)
        if payload is not None:  # "2" or the option's words: as if its button was pressed
            return IncomingMessage(channel=CHANNEL, user_id=user_id, payload=payload, update_id=update_id)
        return IncomingMessage(channel=CHANNEL, user_id=user_id, text=text, update_id=update_id)


def render(reply: Reply) -> list[str]:
    """Plain-text messages for one reply: text, citations, then its buttons as numbered options."""
    text = reply.text.strip()
    if reply.citations:
        text = f"{text}\n\n{texts.citation_text(reply.citations)}".strip()
    if reply.buttons:
        text = f"{text}\n\n{offer_text(reply.buttons)}".strip()
    return split_text(text, MESSAGE_LIMIT)


async def poll(services, notify: Callable[[], None], stop: asyncio.Event) -> None:
    """Long-poll ``getUpdates`` and store each update in the inbox before polling again."""
    client = _client(services.settings)
    backoff = 1.0
    try:
        while not stop.is_set():
            try:
                updates = await unless_stopped(client.get_updates(), stop)
            except ZaloError as error:
                if error.code in _FATAL_ERROR_CODES:
                    raise
                log.warning("zalo getUpdates failed (%s): retrying in %.0f s", error, backoff)
            except ConnectionError as error:
                log.warning("%s: retrying in %.0f s", error, backoff)
            else:
                backoff = 1.0
                if updates:
                    await asyncio.to_thread(_store, services.db, updates)
                    notify()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            backoff = min(backoff * 2, 30.0)
    finally:
        await client.close()


def _store(db, updates: list[dict]) -> None:
    for update in updates:
        update_key, chat_key = intake_keys(update)
        inbox.accept(db, CHANNEL, update_key, chat_key, update)


async def set_webhook(settings, url: str) -> None:
    """Tell Zalo to deliver updates to ``url`` with the configured secret."""
    client = _client(settings)
    try:
        await client.set_webhook(url, settings.zalo.webhook_secret.get_secret_value())
    finally:
        await client.close()


async def delete_webhook(settings) -> None:
    """Stop webhook delivery so that long polling works again."""
    client = _client(settings)
    try:
        await client.delete_webhook()
    finally:
        await client.close()


def _client(settings) -> ZaloClient:
    token = settings.zalo.token.get_secret_value()
    if not token:
        raise ChannelNotConfigured("Chưa có mã bot Zalo: đặt biến HOCVUSO_ZALO__TOKEN.")
    return ZaloClient(token, settings.zalo.base_url)


def _id(party: Any) -> str | None:
    if isinstance(party, dict) and party.get("id") not in (None, ""):
        return str(party["id"])
    return None
