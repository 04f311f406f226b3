"""The inbox of unanswered questions: what people asked that no document or lesson answers.

Trainers read it to see which lesson is missing. Each question is stored pseudonymously,
text only, after :func:`redact` removes phone numbers, ID numbers, e-mail addresses and
other long digit runs (people type them into questions). :func:`group` puts questions of
similar wording together — same content words once diacritics, case and chat fillers are
set aside — so "tra tien dien ntn" and "trả tiền điện thế nào ạ" count as one need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.localdays import utc_range
from hocvuso.db.models import UnansweredQuestion, utcnow
from knowledge.textnorm import fold, nfc

MAX_TEXT = 500
# Two questions are "similar" when this share of their content words is shared (Jaccard).
SIMILARITY = 0.5

_REDACTIONS = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    # Vietnamese phone numbers: 0xxxxxxxxx or +84 / 84 followed by 9 digits, spaces or dots allowed.
    (re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)"), "[số điện thoại]"),
    # Citizen ID (12 digits) and old ID card (9 digits).
    (re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)"), "[số giấy tờ]"),
    # Any other run of 6+ digits: account numbers, OTP codes.
    (re.compile(r"(?<!\d)\d(?:[\s.-]?\d){5,}(?!\d)"), "[dãy số]"),
]
# Words that carry no topic: question words, politeness and chat fillers (compared without diacritics).
_FILLERS = frozenset("""
a ad admin ah ak anh ay ba bac ban bao be cach cai can chi cho chu co con cua da dau de di do duoc dc
em gi giup hay hoi j khi khong ko k la lam le lieu luc minh mk mn moi nao nay ne nen neu nha nhe nho nhu
ntn o oi phai qua ra roi sao se tai the thi thu toi tren trong tu va vay vi voi vs z xin
""".split())


# Control characters and lone surrogates: no reader needs them, and spreadsheets refuse them.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]+")


def redact(text: str) -> str:
    """``text`` without phone numbers, ID numbers, e-mail addresses, long digit runs or control characters."""
    text = " ".join(_UNPRINTABLE.sub(" ", nfc(text)).split())
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text[:MAX_TEXT]


def content_words(text: str) -> frozenset[str]:
    """The topic words of a question, folded, without fillers and redaction marks."""
    text = re.sub(r"\[[^\]]*\]", " ", text)
    return frozenset(word for word in re.findall(r"\w+", fold(text)) if word not in _FILLERS and len(word) > 1)


# Refusals that say nothing about missing content: greetings, attempts at secrets, weather and prices.
SMALL_TALK = frozenset({"greeting", "secret", "everyday"})


def is_need(answer) -> bool:
    """True when ``answer`` (a knowledge-base Answer) refused a real question no document meets."""
    return not answer.found and answer.category not in SMALL_TALK


def record(session, user: str, channel: str, unit: str | None, question: str) -> None:
    """Keep an unanswered question (redacted) in the caller's transaction."""
    text = redact(question)
    if text:
        session.add(UnansweredQuestion(user=user, channel=channel, unit=unit, text=text))


@dataclass
class Group:
    """Questions of similar wording: the first one's id names the group."""

    id: int
    example: str
    count: int = 0
    people: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    handled: bool = False
    question_ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "example": self.example,
            "count": self.count,
            "people": len(self.people),
            "units": sorted(self.units),
            "first_asked": self.first,
            "last_asked": self.last,
            "handled": self.handled,
            "questions": self.texts[:10],
        }


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= SIMILARITY


def group(rows: Iterable[UnansweredQuestion]) -> list[Group]:
    """Group questions by similar wording (greedy, oldest first), most asked first."""
    groups: list[tuple[frozenset[str], Group]] = []
    for row in sorted(rows, key=lambda row: row.id):
        words = content_words(row.text)
        target = next((g for key, g in groups if _similar(words, key)), None)
        if target is None:
            target = Group(id=row.id, example=row.text, handled=True)
            groups.append((words, target))
        target.count += 1
        if row.user:  # questions sent through the API have no user
            target.people.add(row.user)
        if row.unit:
            target.units.add(row.unit)
        target.first = target.first or row.created_at
        target.last = row.created_at
        target.handled = target.handled and row.handled_at is not None
        target.question_ids.append(row.id)
        if row.text not in target.texts:
            target.texts.append(row.text)
    return sorted((g for _, g in groups), key=lambda g: (-g.count, -g.last.timestamp(), g.id))


def _query(date_from: date | None, date_to: date | None, unit: str | None, timezone: str):
    query = select(UnansweredQuestion)
    start, end = utc_range(date_from, date_to, ZoneInfo(timezone))
    if start is not None:
        query = query.where(UnansweredQuestion.created_at >= start)
    if end is not None:
        query = query.where(UnansweredQuestion.created_at < end)
    if unit:
        query = query.where(UnansweredQuestion.unit == unit)
    return query


def groups(db, date_from: date | None = None, date_to: date | None = None, unit: str | None = None,
           timezone: str = "Asia/Ho_Chi_Minh", include_handled: bool = False) -> list[Group]:
    """The grouped inbox of the period and unit: open questions only, or every question when asked for.

    Open questions are grouped among themselves, so a question asked again after its group
    was handled opens a new group (the lesson may still be missing something).
    """
    query = _query(date_from, date_to, unit, timezone)
    if not include_handled:
        query = query.where(UnansweredQuestion.handled_at.is_(None))
    with db.session() as session:
        return group(session.scalars(query))


def mark_handled(db, group_id: int, by: str) -> int:
    """Mark every question of the group named ``group_id`` handled; return how many (0: no such group)."""
    with db.session() as session:
        rows = list(session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.handled_at.is_(None))))
        target = next((g for g in group(rows) if group_id in g.question_ids), None)
        if target is None:
            return 0
        session.execute(
            update(UnansweredQuestion)
            .where(UnansweredQuestion.id.in_(target.question_ids))
            .values(handled_at=utcnow(), handled_by=by[:100])
        )
    return len(target.question_ids)
