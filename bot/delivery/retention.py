"""Retention of the delivery tables: what is done and old goes; nothing pending is touched."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, or_

from hocvuso.db.models import (
    ChatOptions,
    InboxUpdate,
    OutboxMessage,
    WorkerHeartbeat,
    utcnow,
)

_AGE_RE = re.compile(r"^\s*(\d+)\s*([dh])\s*$")


def parse_age(text: str) -> timedelta:
    """``30d`` or ``12h`` as a timedelta; ValueError (Vietnamese) otherwise."""
    match = _AGE_RE.match(text.lower())
    if not match:
        raise ValueError(f"“{text}” không hợp lệ: dùng số kèm d (ngày) hoặc h (giờ), ví dụ 30d.")
    number, unit = int(match.group(1)), match.group(2)
    return timedelta(days=number) if unit == "d" else timedelta(hours=number)


def prune_delivery(db, older_than: timedelta) -> dict[str, int]:
    """Delete processed updates, sent or abandoned calls, options and heartbeats older than ``older_than``.

    A pruned update is no longer de-duplicated; platforms re-send for a day at most,
    so any age above that is safe.
    """
    cutoff = utcnow() - older_than
    with db.session() as session:
        removed = {
            "inbox": session.execute(delete(InboxUpdate).where(
                InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < cutoff)).rowcount,
            "outbox": session.execute(delete(OutboxMessage).where(
                or_(OutboxMessage.sent_at < cutoff, OutboxMessage.failed_at < cutoff))).rowcount,
            "options": session.execute(delete(ChatOptions).where(ChatOptions.updated_at < cutoff)).rowcount,
            "heartbeats": session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < cutoff)).rowcount,
        }
    return removed
