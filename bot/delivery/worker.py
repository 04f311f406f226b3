"""The worker: processes stored updates exactly once, in order per chat, and sends the replies.

Each slot (``--concurrency``) loops: take the oldest pending update of a chat nobody
holds, and in ONE transaction run the channel's handler (the assistant, its evidence
events and quiz state), write the replies to the outbox and mark the update
processed. A crash anywhere before the commit leaves no trace: the update is taken
again. One sender per process delivers the outbox. Heartbeats let ``/healthz`` spot
a stuck worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError

from bot import certificate_documents
from bot.channels.relay import Relay
from bot.delivery import inbox
from bot.delivery.faults import crash_point
from bot.delivery.outbox import Sender, enqueue
from hocvuso.db.models import WorkerHeartbeat, utcnow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
IDLE_POLL_SECONDS = 0.2
MAX_ERROR_BACKOFF_SECONDS = 30.0


class Worker:
    """Processing slots plus one outbox sender, in this process."""

    def __init__(self, services, concurrency: int = 1, sender: Sender | None = None):
        from bot.channels import telegram, zalo

        self.db = services.db
        # SQLite has one writer at a time: a second slot would only wait for the first.
        self.concurrency = 1 if self.db.is_sqlite else concurrency
        relay = Relay(services)
        self.handlers = {handler.channel: handler for handler in
                         (telegram.UpdateHandler(relay), zalo.UpdateHandler(relay))}
        self.sender = sender or Sender(self.db, services.settings,
                                       documents=certificate_documents.documents(self.db, services.settings))
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._busy_since: dict[int, datetime] = {}
        self._counts = [0] * self.concurrency
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._work = asyncio.Event()
        self._send = asyncio.Event()

    def process_one(self, slot: int = 0) -> bool:
        """Process the next update, if any, in one transaction; True when one was processed."""
        with self.db.unit_of_work() as session:
            row = inbox.claim(session)
            if row is None:
                return False
            self._busy_since[slot] = utcnow()
            try:
                calls = self._handle(session, row)
                enqueue(session, row.channel, row.chat_key, row.id, calls)
                row.processed_at = utcnow()
                crash_point("worker.before_commit")
            finally:
                self._busy_since.pop(slot, None)
        crash_point("worker.after_commit")
        with self._lock:
            self._counts[slot] += 1
        return True

    def _handle(self, session, row) -> list[tuple[str, dict]]:
        """The handler's calls; an update no handler can read is logged and dropped, not retried forever."""
        handler = self.handlers.get(row.channel)
        try:
            with session.begin_nested():
                return handler.process(session, json.loads(row.payload)) if handler else []
        except SQLAlchemyError:
            raise  # the database failed: the whole unit rolls back and the update is taken again
        except Exception:
            log.exception("%s inbox update %s cannot be processed: dropped", row.channel, row.id)
            return []

    def notify(self) -> None:
        """Wake the slots: an update was just stored (callable from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._work.set)

    def drain(self) -> int:
        """Process every pending update now, in this thread; return how many (for tests and tools)."""
        count = 0
        while self.process_one():
            count += 1
        return count

    async def run(self, stop: asyncio.Event) -> None:
        """Process and send until ``stop`` is set; then record this worker as gone."""
        self._loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(self._slot(slot, stop)) for slot in range(self.concurrency)]
        tasks.append(asyncio.create_task(self.sender.run(stop, self._send)))
        tasks.append(asyncio.create_task(self._heartbeat(stop)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await self.sender.close()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._forget)

    async def _slot(self, slot: int, stop: asyncio.Event) -> None:
        errors = 0
        while not stop.is_set():
            try:
                # Idle slots only read; a write transaction starts when work is waiting.
                done = await asyncio.to_thread(self._next, slot)
                errors = 0
            except Exception:
                errors += 1
                delay = min(2.0 ** errors, MAX_ERROR_BACKOFF_SECONDS)
                log.exception("worker slot %d: processing failed, retrying in %.0f s", slot, delay)
                await _wait(stop, delay)
                continue
            if done:
                self._send.set()
                continue
            self._work.clear()
            await _wait_any(stop, self._work, IDLE_POLL_SECONDS)

    def _next(self, slot: int) -> bool:
        return inbox.has_pending(self.db) and self.process_one(slot)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self._beat)
            except Exception:
                log.warning("worker heartbeat not recorded", exc_info=True)
            await _wait(stop, HEARTBEAT_SECONDS)

    def _beat(self) -> None:
        now = utcnow()
        with self.db.session() as session:
            for slot in range(self.concurrency):
                name = f"{self.name}:{slot}"
                row = session.get(WorkerHeartbeat, name)
                if row is None:
                    row = WorkerHeartbeat(name=name, started_at=now, processed=0)
                    session.add(row)
                row.seen_at = now
                row.busy_since = self._busy_since.get(slot)
                row.processed = self._counts[slot]

    def _forget(self) -> None:
        with self.db.session() as session:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name.like(f"{self.name}:%")))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()


def run_worker(services, concurrency: int = 1, pollers=()) -> None:
    """Run a worker (and the given pollers: ``async poll(services, notify, stop)``) until SIGINT/SIGTERM."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        worker = Worker(services, concurrency)
        tasks = [asyncio.create_task(worker.run(stop))]
        tasks += [asyncio.create_task(poller(services, worker.notify, stop)) for poller in pollers]
        try:
            await asyncio.gather(*tasks)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
