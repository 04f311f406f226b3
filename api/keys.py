"""API keys: creation, revocation, listing and lookup.

A key is a high-entropy random string shown once to its owner; the database
keeps only its SHA-256 hash and a short prefix to recognise it in listings.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from api.sessions import close_sessions_of_key
from hocvuso.db.models import ApiKey

ROLES = ("trainer", "admin")
# Visible marker of our keys, so a leaked one is easy to recognise in logs or repos.
KEY_MARKER = "hvs_"
PREFIX_CHARS = 12
NAME_MAX_CHARS = 100


@dataclass(frozen=True)
class KeyInfo:
    """What the app knows about a key: never the key itself."""

    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, role: str) -> bool:
        """Whether this key may act as ``role`` (an admin can do everything a trainer can)."""
        return self.role == "admin" or self.role == role


def hash_key(raw: str) -> str:
    """The SHA-256 hex digest under which a key is stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(id=row.id, name=row.name, role=row.role, prefix=row.prefix,
                   created_at=row.created_at, revoked_at=row.revoked_at)


def create_key(db, name: str, role: str) -> tuple[KeyInfo, str]:
    """Create a key for ``role``; return its record and the raw key (shown only once)."""
    if role not in ROLES:
        raise ValueError(f"Vai trò không hợp lệ: {role!r} (chỉ nhận: {', '.join(ROLES)}).")
    name = name.strip()
    if not name or len(name) > NAME_MAX_CHARS:
        raise ValueError(f"Tên khóa phải có từ 1 đến {NAME_MAX_CHARS} ký tự.")
    raw = KEY_MARKER + secrets.token_urlsafe(32)
    row = ApiKey(name=name, role=role, key_hash=hash_key(raw), prefix=raw[:PREFIX_CHARS],
                 created_at=datetime.now(timezone.utc))
    with db.session() as session:
        session.add(row)
        session.flush()
        info = _info(row)
    return info, raw


def revoke_key(db, key_id: int) -> KeyInfo | None:
    """Revoke a key by id; return it, or None when there is no such key."""
    with db.session() as session:
        row = session.get(ApiKey, key_id)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = datetime.now(timezone.utc)
            session.flush()
        info = _info(row)
    close_sessions_of_key(db, key_id)  # signed-in dashboards of this key end at once
    return info


def list_keys(db) -> list[KeyInfo]:
    """All keys, active and revoked, oldest first."""
    with db.session() as session:
        return [_info(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.id))]


def get_key(db, key_id: int) -> KeyInfo | None:
    """One key by id, or None."""
    with db.session() as session:
        row = session.get(ApiKey, key_id)
        return _info(row) if row is not None else None


def find_key(db, raw: str) -> KeyInfo | None:
    """The active key matching ``raw``, or None."""
    digest = hash_key(raw)
    with db.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).first()
        # The lookup is by digest; compare again in constant time so that no code
        # path ever branches on a partially matching secret.
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        info = _info(row)
    return info if info.active else None
