"""What operators see of delivery: queue depths and lag for ``/metrics``, stuck workers for ``/healthz``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.delivery import inbox, outbox
from hocvuso.db.models import WorkerHeartbeat, utcnow

SILENT_AFTER = timedelta(seconds=30)  # a live worker reports every 5 s
BUSY_TOO_LONG = timedelta(seconds=120)  # one update should take seconds, not minutes
GONE_AFTER = timedelta(minutes=10)  # a worker silent this long was stopped or replaced: not judged
LAG_TOO_LONG = timedelta(seconds=120)  # the oldest waiting update: nobody is processing


def snapshot(db) -> dict:
    """Inbox and outbox depths, processing lag, retries, and live/stuck worker slots."""
    now = utcnow()
    waiting = inbox.stats(db, now)
    sending = outbox.stats(db)
    live, stuck = _workers(db, now)
    return {
        "inbox_pending": waiting["pending"],
        "inbox_lag_seconds": waiting["lag_seconds"],
        "outbox_pending": sending["pending"],
        "outbox_failed": sending["failed"],
        "outbox_retries": sending["retries"],
        "workers_live": live,
        "workers_stuck": stuck,
    }


def problems(db) -> list[str]:
    """Why delivery is stuck, in Vietnamese; empty when it is not."""
    now = utcnow()
    _, stuck = _workers(db, now)
    found = [f"Tiến trình xử lý {name} không phản hồi hoặc kẹt ở một cập nhật." for name in stuck]
    lag = inbox.stats(db, now)["lag_seconds"]
    if lag > LAG_TOO_LONG.total_seconds():
        found.append(f"Có cập nhật chờ xử lý đã {lag:.0f} giây: kiểm tra các tiến trình `hocvuso worker`.")
    return found


def _workers(db, now) -> tuple[int, list[str]]:
    with db.session() as session:
        beats = session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.seen_at >= now - GONE_AFTER)).all()
    stuck = [
        beat.name for beat in beats
        if beat.seen_at < now - SILENT_AFTER or (beat.busy_since is not None and beat.busy_since < now - BUSY_TOO_LONG)
    ]
    return len(beats) - len(stuck), stuck
