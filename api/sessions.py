"""Server-side dashboard sessions: the cookie carries a random token, the database its SHA-256.

Ending a session deletes its row, so a copied cookie stops working at once (logout,
revoked key); nothing about the sign-in lives only in the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from hocvuso.db.models import DashboardSession, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(db, key_id: int, hours: float) -> str:
    """Start a session for ``key_id``; return its token (for the cookie). Expired sessions are swept."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        session.execute(delete(DashboardSession).where(DashboardSession.expires_at < now))
        session.add(DashboardSession(token_hash=_digest(token), key_id=key_id, created_at=now,
                                     expires_at=now + timedelta(hours=hours)))
    return token


def session_key_id(db, token: str) -> int | None:
    """The key id of a live session, or None (unknown, ended or expired)."""
    with db.session() as session:
        row = session.scalars(select(DashboardSession).where(DashboardSession.token_hash == _digest(token))).first()
        if row is None or row.expires_at <= utcnow():
            return None
        return row.key_id


def close_session(db, token: str) -> None:
    """End one session."""
    with db.session() as session:
        session.execute(delete(DashboardSession).where(DashboardSession.token_hash == _digest(token)))


def close_sessions_of_key(db, key_id: int) -> None:
    """End every session opened with ``key_id`` (the key was revoked)."""
    with db.session() as session:
        session.execute(delete(DashboardSession).where(DashboardSession.key_id == key_id))
