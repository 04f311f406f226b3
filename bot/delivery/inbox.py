"""The inbox: updates stored before they are acknowledged, taken in order per chat."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from hocvuso.db.models import InboxUpdate, utcnow


def accept(db, channel: str, update_key: str, chat_key: str, payload: dict) -> bool:
    """Store an update (committed when this returns); False when it was already stored."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InboxUpdate)
        .values(channel=channel, update_key=update_key[:200], chat_key=chat_key[:128],
                payload=json.dumps(payload, ensure_ascii=False), received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(InboxUpdate.id)
    )
    with db.engine.begin() as connection:
        return connection.execute(statement).first() is not None


def has_pending(db) -> bool:
    """Whether any update waits (a cheap read, so idle workers do not take write locks)."""
    with db.engine.connect() as connection:
        return connection.execute(
            select(InboxUpdate.id).where(InboxUpdate.processed_at.is_(None)).limit(1)
        ).first() is not None


def claim(session: Session) -> InboxUpdate | None:
    """Lock the oldest pending update whose chat has no earlier pending update, if any.

    PostgreSQL skips rows other workers hold (and so their chats, whose later updates
    are not heads); SQLite callers hold the database write lock already.
    """
    earlier = aliased(InboxUpdate)
    earlier_pending = exists().where(
        earlier.channel == InboxUpdate.channel,
        earlier.chat_key == InboxUpdate.chat_key,
        earlier.processed_at.is_(None),
        earlier.id < InboxUpdate.id,
    )
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.processed_at.is_(None), ~earlier_pending)
        .order_by(InboxUpdate.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=InboxUpdate)
    )
    return session.scalars(query).first()


def stats(db, now: datetime | None = None) -> dict:
    """Pending updates and the age in seconds of the oldest one (0 when none wait)."""
    now = now or utcnow()
    with db.session() as session:
        count, oldest = session.execute(
            select(func.count(InboxUpdate.id), func.min(InboxUpdate.received_at))
            .where(InboxUpdate.processed_at.is_(None))
        ).one()
    return {"pending": count, "lag_seconds": (now - oldest).total_seconds() if oldest else 0.0}
