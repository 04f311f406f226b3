"""Retention of the delivery tables: what is done and old goes; nothing pending is touched."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update

from hocvuso.db.models import (
    Announcement,
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
    finished = or_(OutboxMessage.sent_at < cutoff, OutboxMessage.failed_at < cutoff)
    with db.session() as session:
        _keep_announcement_counts(session, finished)
        removed = {
            "inbox": session.execute(delete(InboxUpdate).where(
                InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < cutoff)).rowcount,
            "outbox": session.execute(delete(OutboxMessage).where(finished)).rowcount,
            "options": session.execute(delete(ChatOptions).where(ChatOptions.updated_at < cutoff)).rowcount,
            "heartbeats": session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < cutoff)).rowcount,
        }
    return removed


def _keep_announcement_counts(session, finished) -> None:
    """Add the sent and failed messages about to be pruned to their announcement's kept counts."""
    rows = session.execute(
        select(OutboxMessage.announcement_id,
               func.count().filter(OutboxMessage.sent_at.is_not(None)),
               func.count().filter(OutboxMessage.sent_at.is_(None)))
        .where(finished, OutboxMessage.announcement_id.is_not(None))
        .group_by(OutboxMessage.announcement_id)
    ).all()
    for announcement_id, sent, failed in rows:
        session.execute(update(Announcement).where(Announcement.id == announcement_id).values(
            sent_pruned=Announcement.sent_pruned + sent, failed_pruned=Announcement.failed_pruned + failed))
