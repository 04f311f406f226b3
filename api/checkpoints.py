"""Checkpoints the server signs on its own: at start and then every ``evidence.checkpoint_hours``.

A checkpoint is signed when the log has grown since the last one and that one is older
than the interval (or there is none), so idle logs do not pile up identical checkpoints.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.evidence import EvidenceError, EvidenceLog
from hocvuso.db.models import EvidenceHead, utcnow

log = logging.getLogger(__name__)
# How often the loop wakes up to see whether a checkpoint is due.
POLL_SECONDS = 600


def checkpoint_if_due(db, hours: float, now: datetime | None = None) -> bool:
    """Sign and store a checkpoint if one is due; True when one was made."""
    evidence = EvidenceLog(db)
    now = now or utcnow()
    latest = evidence.latest_checkpoint()
    if latest is not None and now - latest.time < timedelta(hours=hours):
        return False
    with db.session() as session:
        head = session.get(EvidenceHead, 1)
        size = head.last_id if head is not None else 0
    if size == 0 or (latest is not None and latest.size == size):
        return False
    try:
        made = evidence.checkpoint(now)
    except EvidenceError as error:
        # A broken log gets no checkpoint: say so loudly, every time it is due.
        log.error("Không ký được điểm mốc minh chứng: %s", error)
        return False
    log.info("Đã ký điểm mốc minh chứng: %s sự kiện", made.size)
    return True


async def run(services, hours: float) -> None:
    """Sign due checkpoints until cancelled (the app's lifespan runs this as a task)."""
    while True:
        try:
            # The database is opened in the thread: an unreachable one is logged, never fatal.
            await asyncio.to_thread(lambda: checkpoint_if_due(services.db, hours))
        except Exception:
            log.exception("Lỗi khi ký điểm mốc minh chứng định kỳ")
        await asyncio.sleep(min(POLL_SECONDS, hours * 3600))
