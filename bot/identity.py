"""Pseudonymous user ids: the only form in which a user is stored or logged."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret: str, channel: str, raw_id: str) -> str:
    """HMAC-SHA256 (hex) of channel and raw user id under ``secret``.

    The channel is part of the message so the same number on Telegram and Zalo
    gives two unrelated pseudonyms; without the secret the raw id cannot be
    recovered by hashing guesses.
    """
    message = f"{channel}\x1f{raw_id}".encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
