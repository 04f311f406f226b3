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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any

import httpx

from bot import texts
from bot.channels.numbered import NumberedOptions
from bot.channels.relay import ChannelNotConfigured, Relay, UserLocks
from bot.channels.splitting import split_text
from bot.messages import IncomingMessage, Reply

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


class ZaloBot:
    """Zalo updates in, replies out: text, numbered options, citations, 2000-character parts."""

    def __init__(self, client: ZaloClient, relay: Relay):
        self.client = client
        self.relay = relay
        self.options = NumberedOptions()
        self._locks = UserLocks()
        self._tasks: set[asyncio.Task] = set()

    async def process_update(self, update: dict) -> None:
        """Answer one update; errors are logged, never raised, so the bot keeps running."""
        message = update.get("message")
        if not isinstance(message, dict):
            log.info("zalo update without a message (%s): ignored", update.get("event_name"))
            return
        chat_id = _id(message.get("chat"))
        user_id = _id(message.get("from")) or chat_id
        update_id = str(message["message_id"]) if message.get("message_id") is not None else None
        if chat_id is None or user_id is None:
            log.warning("zalo update %s without chat or sender: ignored", update_id)
            return
        try:
            async with self._locks(chat_id):
                msg = self._incoming(update.get("event_name"), message, user_id, chat_id, update_id)
                replies = await self.relay.replies(msg)
                if replies and not any(reply.buttons for reply in replies):
                    self.options.forget(chat_id)  # the conversation moved on: numbers mean nothing
                await self._send(chat_id, replies)
        except Exception:
            log.exception("zalo update %s: cannot answer", update_id)

    def dispatch(self, update: dict) -> None:
        """Answer ``update`` in the background (the webhook acknowledges at once)."""
        task = asyncio.create_task(self.process_update(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run_polling(self, stop: asyncio.Event | None = None) -> None:
        """Long-poll ``getUpdates`` and answer each update until ``stop`` is set."""
        stop = stop or asyncio.Event()
        backoff = 1.0
        while not stop.is_set():
            try:
                updates = await _unless_stopped(self.client.get_updates(), stop)
            except ZaloError as error:
                if error.code in _FATAL_ERROR_CODES:
                    raise
                log.warning("zalo getUpdates failed (%s): retrying in %.0f s", error, backoff)
            except ConnectionError as error:
                log.warning("%s: retrying in %.0f s", error, backoff)
            else:
                backoff = 1.0
                for update in updates:
                    await self.process_update(update)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            backoff = min(backoff * 2, 30.0)

    async def close(self) -> None:
        """Finish answers in flight, then close the connections."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.close()

    def _incoming(self, event: str | None, message: dict, user_id: str, chat_id: str,
                  update_id: str | None) -> IncomingMessage:
        if event != TEXT_EVENT or not isinstance(message.get("text"), str):
            # Images, stickers, voice, or content Zalo withholds: the relay explains.
            return IncomingMessage(channel=CHANNEL, user_id=user_id, update_id=update_id)
        text = message["text"]
        payload = self.options.choose(chat_id, text)
        if payload is not None:  # "2" or the option's words: as if its button was pressed
            return IncomingMessage(channel=CHANNEL, user_id=user_id, payload=payload, update_id=update_id)
        return IncomingMessage(channel=CHANNEL, user_id=user_id, text=text, update_id=update_id)

    async def _send(self, chat_id: str, replies: list[Reply]) -> None:
        for reply in replies:
            for part in self.render(chat_id, reply):
                await self.client.send_message(chat_id, part)

    def render(self, chat_id: str, reply: Reply) -> list[str]:
        """Plain-text messages for one reply; its buttons become the chat's numbered options."""
        text = reply.text.strip()
        if reply.buttons:
            text = f"{text}\n\n{self.options.offer(chat_id, reply.buttons)}".strip()
        if reply.citations:
            text = f"{text}\n\n{texts.citation_text(reply.citations)}".strip()
        return split_text(text, MESSAGE_LIMIT)


def build_bot(services) -> ZaloBot:
    """The Zalo bot answering through ``services.assistant``."""
    return ZaloBot(_client(services.settings), Relay(services))


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


async def _unless_stopped(poll: Awaitable[list[dict]], stop: asyncio.Event) -> list[dict]:
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


def _id(party: Any) -> str | None:
    if isinstance(party, dict) and party.get("id") not in (None, ""):
        return str(party["id"])
    return None
