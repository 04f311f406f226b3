"""Announcements: a trainer's short message to the users of a unit who opted in.

Users opt in with ``/nhanthongbao`` (out with ``/tatthongbao``) in a private chat on
Telegram or Zalo. What is kept is the least the outbox needs to write to them later:
the pseudonym, the channel and the private chat's id, the last sealed (AES-GCM) under a
key derived from the pseudonym secret, so the database alone never links a pseudonym
to a raw chat id. The recipients' unit is their current one (``users.unit``).

:func:`announce` writes the announcement and one outbox ``sendMessage`` per recipient in
ONE transaction; the outbox sender delivers them with its retries. Announcements are
paced per platform for the whole deployment (any number of workers) by spreading the
rows' ``due_at``: Telegram allows bulk notifications of about 30 messages per second per
bot (Bot FAQ), we use 25 so replies to users keep some room; Zalo's Bot Platform publishes
no rate, so 5 per second, a conservative guess (a 429 is retried anyway). Each chat's
announcements have their own outbox queue (``announce:<chat>``): a reply is never held
behind an announcement scheduled minutes ahead, and two announcements keep their order.

An announcement is not participation, so it writes no evidence event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select, text, update

from bot import texts
from hocvuso.db.models import Announcement, AnnouncementSubscriber, OutboxMessage, User, utcnow
from knowledge.textnorm import nfc

# Messages per second for the whole deployment (see the module docstring).
RATES = {"telegram": 25.0, "zalo": 5.0}
CHANNELS = tuple(RATES)
MAX_TEXT = 1000  # short: one message on every platform with the header and footer
QUEUE_PREFIX = "announce:"
# Serialises the scheduling of announcements on PostgreSQL (SQLite's write lock does it there).
_SCHEDULE_LOCK_KEY = 4_826_152
_KEY_LABEL = b"hocvuso announcement address v1"


class AnnouncementError(Exception):
    """An announcement cannot be sent; the message is Vietnamese and safe to show."""


@dataclass(frozen=True)
class Delivery:
    """An announcement with what became of its messages."""

    id: int
    created_at: datetime
    created_by: str
    unit: str
    text: str
    recipients: int
    sent: int
    pending: int
    failed: int

    def as_dict(self) -> dict:
        return {"id": self.id, "created_at": self.created_at, "created_by": self.created_by, "unit": self.unit,
                "text": self.text, "recipients": self.recipients, "sent": self.sent, "pending": self.pending,
                "failed": self.failed}


# Chat addresses, sealed at rest


def _cipher(secret: str) -> AESGCM:
    return AESGCM(hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest())


def seal(secret: str, channel: str, address: str) -> str:
    """``address`` encrypted and authenticated (bound to ``channel``), as URL-safe base64."""
    nonce = os.urandom(12)
    sealed = _cipher(secret).encrypt(nonce, address.encode("utf-8"), channel.encode("utf-8"))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(secret: str, channel: str, sealed: str) -> str | None:
    """The address of :func:`seal`; None when it was sealed under another secret."""
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    try:
        return _cipher(secret).decrypt(raw[:12], raw[12:], channel.encode("utf-8")).decode("utf-8")
    except InvalidTag:
        return None


# Opting in and out (from chat)


def opt_in(db, secret: str, user: str, channel: str, chat_id: str | None, unit: str | None) -> str:
    """Keep (or refresh) ``user``'s address for announcements; the reply to show."""
    if channel not in CHANNELS or not chat_id:
        return texts.ANNOUNCE_PRIVATE_ONLY
    with db.session() as session:
        row = session.get(AnnouncementSubscriber, user)
        if row is None:
            row = AnnouncementSubscriber(user=user)
            session.add(row)
        row.channel, row.address, row.created_at = channel, seal(secret, channel, chat_id), utcnow()
    return texts.announce_opted_in(unit)


def opt_out(db, user: str, channel: str, chat_id: str | None) -> str:
    """Forget ``user``'s address and cancel announcements not yet sent to this chat; the reply."""
    with db.session() as session:
        row = session.get(AnnouncementSubscriber, user)
        if row is None:
            return texts.ANNOUNCE_NOT_SUBSCRIBED
        session.delete(row)
        if chat_id:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.channel == channel, OutboxMessage.chat_key == _queue(chat_id),
                       OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
                .values(failed_at=utcnow(), last_error="người nhận đã tắt thông báo")
            )
    return texts.ANNOUNCE_OPTED_OUT


# Sending


def clean_text(typed: str) -> str:
    """The announcement as it will be sent: NFC plain text, no control characters, trimmed."""
    lines = ["".join(ch for ch in line if ch.isprintable()).rstrip() for line in nfc(typed).splitlines()]
    cleaned = "\n".join(lines).strip()
    while "\n\n\n" in cleaned:
        cleaned = cleaned.replace("\n\n\n", "\n\n")
    if not cleaned:
        raise AnnouncementError("Nội dung thông báo đang trống.")
    if len(cleaned) > MAX_TEXT:
        raise AnnouncementError(f"Thông báo dài {len(cleaned)} ký tự, tối đa {MAX_TEXT} ký tự. "
                                "Vui lòng rút gọn.")
    return cleaned


def subscribers_by_unit(db, directory) -> dict[str, int]:
    """Opted-in users per unit (the unit's listed name, else as typed); users without a unit left out."""
    names: dict[str, str] = {}  # grouping key -> the name shown (spellings of one unit count together)
    counts: dict[str, int] = {}
    with db.session() as session:
        rows = session.execute(select(User.unit, func.count()).join(
            AnnouncementSubscriber, AnnouncementSubscriber.user == User.pseudonym
        ).where(User.unit.is_not(None)).group_by(User.unit).order_by(func.count().desc(), User.unit)).all()
    for unit, count in rows:
        key = directory.key(unit)
        names.setdefault(key, directory.display(unit))
        counts[key] = counts.get(key, 0) + count
    return dict(sorted((names[key], count) for key, count in counts.items()))


def announce(db, secret: str, directory, unit: str, typed: str, by: str) -> Delivery:
    """Write the announcement and one outbox message per opted-in user of ``unit``, in one transaction."""
    body = clean_text(typed)
    wanted = directory.key(nfc(unit).strip())
    if not wanted:
        raise AnnouncementError("Vui lòng chọn đơn vị nhận thông báo.")
    with db.unit_of_work() as session:
        if not db.is_sqlite:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEDULE_LOCK_KEY})
        rows = session.execute(select(AnnouncementSubscriber, User.unit).join(
            User, User.pseudonym == AnnouncementSubscriber.user)).all()
        chosen = [row for row, user_unit in rows if directory.key(user_unit) == wanted]
        recipients = [(row.channel, address) for row in chosen
                      if (address := unseal(secret, row.channel, row.address)) is not None]
        name = directory.display(nfc(unit).strip())
        if not recipients:
            raise AnnouncementError(f"Chưa có người học nào của đơn vị “{name}” đăng ký nhận thông báo "
                                    "(/nhanthongbao), nên chưa gửi được.")
        now = utcnow()
        announcement = Announcement(created_at=now, created_by=by, unit=name, text=body,
                                    recipients=len(recipients), sent_pruned=0, failed_pruned=0)
        session.add(announcement)
        session.flush()
        message = texts.announcement(name, body)
        for channel in CHANNELS:
            addresses = [address for kind, address in recipients if kind == channel]
            interval = timedelta(seconds=1 / RATES[channel])
            tail = _schedule_tail(session, channel)
            start = now if tail is None else max(now, tail + interval)
            session.add_all(
                OutboxMessage(
                    channel=channel, chat_key=_queue(address), method="sendMessage",
                    params=json.dumps(_params(channel, address, message), ensure_ascii=False),
                    created_at=now, due_at=start + number * interval, attempts=0, announcement_id=announcement.id,
                )
                for number, address in enumerate(addresses)
            )
        return _delivery(announcement, {})


def deliveries(db, limit: int = 50) -> list[Delivery]:
    """The latest announcements, newest first, with their counts."""
    with db.session() as session:
        announcements = session.scalars(
            select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id.desc()).limit(limit)
        ).all()
        ids = [a.id for a in announcements]
        counts = {
            row.announcement_id: row for row in session.execute(
                select(
                    OutboxMessage.announcement_id,
                    func.count().filter(OutboxMessage.sent_at.is_not(None)).label("sent"),
                    func.count().filter(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_not(None))
                    .label("failed"),
                    func.count().filter(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
                    .label("pending"),
                ).where(OutboxMessage.announcement_id.in_(ids)).group_by(OutboxMessage.announcement_id)
            )
        } if ids else {}
    return [_delivery(a, counts) for a in announcements]


def _delivery(announcement: Announcement, counts: dict) -> Delivery:
    row = counts.get(announcement.id)
    sent = (row.sent if row else 0) + announcement.sent_pruned
    failed = (row.failed if row else 0) + announcement.failed_pruned
    # No rows left (all pruned, or none written yet): what is neither sent nor failed still waits.
    pending = row.pending if row else max(announcement.recipients - sent - failed, 0)
    return Delivery(announcement.id, announcement.created_at, announcement.created_by, announcement.unit,
                    announcement.text, announcement.recipients, sent, pending, failed)


def _schedule_tail(session, channel: str) -> datetime | None:
    """When the last announcement message of ``channel`` still waiting is due, if any waits."""
    return session.scalar(select(func.max(OutboxMessage.due_at)).where(
        OutboxMessage.channel == channel, OutboxMessage.announcement_id.is_not(None),
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)))


def _queue(address: str) -> str:
    return f"{QUEUE_PREFIX}{address}"


def _params(channel: str, address: str, message: str) -> dict:
    # Plain text: no parse_mode, so nothing the trainer typed is read as markup.
    if channel == "telegram":
        return {"chat_id": int(address) if address.lstrip("-").isdigit() else address, "text": message}
    return {"chat_id": address, "text": message}
