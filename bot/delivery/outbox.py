"""The outbox: Bot API calls written in the update's transaction, sent after commit.

The sender takes the oldest unsent call of each chat (so a chat's replies keep their
order), leases it for :data:`LEASE_SECONDS` in a short transaction, calls the Bot API
outside any transaction, then records the outcome. A crash after the call and before
the record sends it again: delivery is at least once. Transient failures (network,
5xx, 429) are retried with exponential backoff, forever; a call the platform refuses
for good (400, 403) is marked failed and the chat's next call goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from hocvuso.db.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# Longer than one call can take (HTTP timeout plus pacing): a call is never sent twice by two
# live senders; after a crash its chat waits at most this long.
LEASE_SECONDS = 15
BATCH = 64
MAX_BACKOFF_SECONDS = 30.0
# Errors that retrying cannot fix: the request itself is wrong, or the user blocked the bot.
PERMANENT_CODES = {400, 403}
TELEGRAM_API = "https://api.telegram.org"
ZALO_API = "https://bot-api.zaloplatforms.com"


def enqueue(session: Session, channel: str, chat_key: str, inbox_id: int | None,
            calls: list[tuple[str, dict]]) -> None:
    """Add ``calls`` (method, parameters) to the outbox in ``session``'s transaction."""
    now = utcnow()
    session.add_all(
        OutboxMessage(inbox_id=inbox_id, channel=channel, chat_key=chat_key, method=method,
                      params=json.dumps(params, ensure_ascii=False), created_at=now, due_at=now, attempts=0)
        for method, params in calls
    )


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures: 1, 2, 4 ... capped at 30."""
    return min(2.0 ** (attempts - 1), MAX_BACKOFF_SECONDS)


def stats(db) -> dict:
    """Unsent calls, calls given up, and retries made (failed attempts of every call kept)."""
    with db.session() as session:
        pending, failed, retries = session.execute(select(
            func.count(OutboxMessage.id).filter(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)),
            func.count(OutboxMessage.id).filter(OutboxMessage.failed_at.is_not(None)),
            func.coalesce(func.sum(OutboxMessage.attempts), 0),
        )).one()
    return {"pending": pending, "failed": failed, "retries": int(retries)}


@dataclass(frozen=True)
class Upload:
    """A Bot API call with a file, made at send time from a stored call (see ``Sender(documents=...)``)."""

    method: str
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes, str]]  # field -> (file name, content, media type)


class DocumentGone(Exception):
    """The file of a stored call can no longer be made (its record is gone): the call fails for good."""


class Delivery:
    """What became of one call: sent, retry later, or given up."""

    def __init__(self, sent: bool, retry_after: float | None = None, error: str = ""):
        self.sent, self.retry_after, self.error = sent, retry_after, error


class Sender:
    """Sends due outbox calls to the Telegram and Zalo Bot APIs."""

    def __init__(self, db, settings, http: httpx.AsyncClient | None = None, clock=utcnow,
                 documents: dict[str, Callable[[dict], Upload]] | None = None):
        self.db = db
        self.clock = clock
        # Stored methods whose file is made when sent (e.g. sendCertificate -> multipart sendDocument):
        # the outbox keeps a small JSON call, and a retry makes the file again.
        self._documents = documents or {}
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(8.0, connect=3.0))
        self._urls = {
            "telegram": _bot_url(settings.telegram, TELEGRAM_API),
            "zalo": _bot_url(settings.zalo, ZALO_API),
        }
        self._pace = {"telegram": _Pacer(per_second=30)}  # Telegram: about 30 messages/s per bot

    async def send_due(self) -> int:
        """Send one round of due calls (at most one per chat); return how many were tried."""
        batch = await asyncio.to_thread(self._lease)
        if not batch:
            return 0
        await asyncio.gather(*(self._send(message) for message in batch))
        return len(batch)

    async def _send(self, message: OutboxMessage) -> None:
        # Recorded as soon as answered: a crash can repeat only the calls in flight.
        outcome = await self._call(message)
        await asyncio.to_thread(self._record, [(message, outcome)])

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None, idle: float = 0.25) -> None:
        """Send until ``stop`` is set; sleep ``idle`` seconds (or until woken) when nothing is due."""
        wake = wake or asyncio.Event()
        while not stop.is_set():
            try:
                tried = await self.send_due()
            except Exception:  # the database is down: try again shortly
                log.exception("outbox: cannot read or record calls")
                tried = 0
            if tried:
                continue
            wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    def _lease(self) -> list[OutboxMessage]:
        """Take the due head call of up to BATCH chats for LEASE_SECONDS."""
        now = self.clock()
        with self.db.engine.connect() as connection:  # a cheap read first: idle senders take no write lock
            if connection.execute(_due(now).with_only_columns(OutboxMessage.id).limit(1)).first() is None:
                return []
        with self.db.unit_of_work() as session:
            batch = list(session.scalars(
                _due(now).limit(BATCH).with_for_update(skip_locked=True, of=OutboxMessage)
            ))
            if batch:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([m.id for m in batch]))
                    .values(claimed_until=now + timedelta(seconds=LEASE_SECONDS))
                )
        return batch

    async def _call(self, message: OutboxMessage) -> Delivery:
        base = self._urls.get(message.channel)
        if base is None:
            return Delivery(False, error=f"kênh {message.channel} chưa có mã bot")
        pacer = self._pace.get(message.channel)
        if pacer is not None:
            await pacer.wait()
        try:
            response = await self._post(base, message)
        except DocumentGone as error:
            return Delivery(False, retry_after=-1, error=str(error)[:200])
        except httpx.HTTPError as error:
            # The URL holds the token: report the error kind only.
            return Delivery(False, retry_after=None, error=f"{type(error).__name__}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200 and isinstance(body, dict) and body.get("ok"):
            return Delivery(True)
        body = body if isinstance(body, dict) else {}
        code = body.get("error_code", response.status_code)
        error = f"{code} {str(body.get('description', ''))[:200]}"
        retry_after = (body.get("parameters") or {}).get("retry_after") if code == 429 else None
        if code in PERMANENT_CODES:
            return Delivery(False, retry_after=-1, error=error)
        return Delivery(False, retry_after=float(retry_after) if retry_after else None, error=error)

    async def _post(self, base: str, message: OutboxMessage) -> httpx.Response:
        make = self._documents.get(message.method)
        if make is None:
            return await self._http.post(f"{base}/{message.method}", content=message.params,
                                         headers={"Content-Type": "application/json"})
        upload = await asyncio.to_thread(make, json.loads(message.params))  # drawing a PDF takes a while
        return await self._http.post(f"{base}/{upload.method}", data=upload.fields, files=upload.files)

    def _record(self, outcomes: list[tuple[OutboxMessage, Delivery]]) -> None:
        now = self.clock()
        with self.db.session() as session:
            for message, outcome in outcomes:
                values: dict = {"claimed_until": None}
                if outcome.sent:
                    values["sent_at"] = now
                elif outcome.retry_after == -1:
                    log.warning("outbox %s %s refused for good: %s", message.channel, message.method, outcome.error)
                    values.update(failed_at=now, attempts=message.attempts + 1, last_error=outcome.error)
                else:
                    attempts = message.attempts + 1
                    delay = outcome.retry_after if outcome.retry_after is not None else backoff(attempts)
                    log.info("outbox %s %s failed (%s): retry %d in %.0f s",
                             message.channel, message.method, outcome.error, attempts, delay)
                    values.update(attempts=attempts, last_error=outcome.error,
                                  due_at=now + timedelta(seconds=delay))
                session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values))


def _due(now):
    """Calls due at ``now`` that head their chat's queue (no earlier call unsent), oldest first."""
    earlier = aliased(OutboxMessage)
    earlier_unsent = exists().where(
        earlier.channel == OutboxMessage.channel,
        earlier.chat_key == OutboxMessage.chat_key,
        earlier.sent_at.is_(None),
        earlier.failed_at.is_(None),
        earlier.id < OutboxMessage.id,
    )
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.due_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ~earlier_unsent,
        )
        .order_by(OutboxMessage.id)
    )


def _bot_url(channel_settings, default_base: str) -> str | None:
    token = channel_settings.token.get_secret_value()
    if not token:
        return None
    return f"{(channel_settings.base_url or default_base).rstrip('/')}/bot{token}"


class _Pacer:
    """Spaces calls at least 1/per_second apart (in this process)."""

    def __init__(self, per_second: float):
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self._interval
