"""Ratings of answers: 👍/👎 on a knowledge-base answer, and what trainers read from them.

Every answer the knowledge base found is kept (:func:`remember`) so that its buttons
can name it: the asker's pseudonym, the question redacted like the unanswered inbox
(:func:`bot.unanswered.redact`), the first citation and a short excerpt. One person
rates one answer once (:func:`rate`); rating again changes the rating, never adds one.
:func:`summary` counts 👍/👎 for a period and unit, and lists the answers rated worst
first, grouped by the section they cite, so a trainer sees which passage misleads.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.localdays import utc_range
from bot.unanswered import redact
from hocvuso.db.models import AnswerRating, GivenAnswer, utcnow

UP, DOWN = "up", "down"
RATINGS = (UP, DOWN)
EXCERPT_CHARS = 200
# Questions shown per group of answers on the dashboard and in the API.
EXAMPLES = 5


class UnknownAnswer(LookupError):
    """No answer carries this id (or token)."""


def remember(session, user: str, channel: str, unit: str | None, question: str, answer) -> GivenAnswer:
    """Keep a found answer in the caller's transaction; the returned row has its ids."""
    first = answer.citations(1)
    citation = (first[0].citation or f"{first[0].title} › {first[0].section}") if first else ""
    row = GivenAnswer(
        token=secrets.token_urlsafe(12), user=user, channel=channel, unit=unit,
        question=redact(question), citation=citation[:300], excerpt=_excerpt(answer.answer),
    )
    session.add(row)
    session.flush()  # the id goes into the buttons of this very reply
    return row


def _excerpt(text: str) -> str:
    # The answer is the documents' text, not the user's: only its line breaks go.
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def rate(session, answer: GivenAnswer, user: str, unit: str | None, rating: str) -> bool:
    """Record ``user``'s rating of ``answer``; False when that very rating was already there."""
    if rating not in RATINGS:
        raise ValueError(rating)
    mine = select(AnswerRating).where(AnswerRating.answer_id == answer.id, AnswerRating.user == user)
    row = session.scalar(mine)
    if row is None:
        try:
            with session.begin_nested():  # a double click may race us to the first rating
                session.add(AnswerRating(answer_id=answer.id, user=user, unit=unit, rating=rating))
            return True
        except IntegrityError:
            row = session.scalar(mine)
    if row.rating == rating:
        return False
    row.rating, row.unit, row.rated_at = rating, unit, utcnow()
    return True


def find(session, *, answer_id: int | None = None, token: str | None = None) -> GivenAnswer:
    """The answer with this id (chat buttons) or token (web API); UnknownAnswer otherwise."""
    if answer_id is not None:
        row = session.get(GivenAnswer, answer_id)
    else:
        row = session.scalar(select(GivenAnswer).where(GivenAnswer.token == token))
    if row is None:
        raise UnknownAnswer(answer_id if answer_id is not None else token)
    return row


@dataclass
class RatedGroup:
    """The rated answers citing one section: counts and the questions asked."""

    citation: str
    up: int = 0
    down: int = 0
    last: datetime | None = None
    questions: list[str] = field(default_factory=list)
    excerpt: str = ""
    disliked: set[str] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {"citation": self.citation, "up": self.up, "down": self.down, "last_rated": self.last,
                "questions": self.questions[:EXAMPLES], "excerpt": self.excerpt}


@dataclass
class Summary:
    """Ratings of a period and unit: totals, per unit, and the groups rated worst first."""

    up: int = 0
    down: int = 0
    units: dict[str, list[int]] = field(default_factory=dict)  # unit -> [up, down]
    groups: list[RatedGroup] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "up": self.up, "down": self.down,
            "units": [{"unit": unit, "up": up, "down": down} for unit, (up, down) in self.units.items()],
            "answers": [group.as_dict() for group in self.groups],
        }


def summary(db, date_from: date | None = None, date_to: date | None = None, unit: str | None = None,
            timezone: str = "Asia/Ho_Chi_Minh") -> Summary:
    """Ratings given in the period (local days) by people of ``unit`` (every unit when None)."""
    query = select(AnswerRating, GivenAnswer).join(GivenAnswer, AnswerRating.answer_id == GivenAnswer.id)
    start, end = utc_range(date_from, date_to, ZoneInfo(timezone))
    if start is not None:
        query = query.where(AnswerRating.rated_at >= start)
    if end is not None:
        query = query.where(AnswerRating.rated_at < end)
    if unit:
        query = query.where(AnswerRating.unit == unit)
    result = Summary()
    groups: dict[str, RatedGroup] = {}
    with db.session() as session:
        for rating, answer in session.execute(query.order_by(AnswerRating.rated_at, AnswerRating.id)):
            up = rating.rating == UP
            result.up += up
            result.down += not up
            counts = result.units.setdefault(rating.unit or "", [0, 0])
            counts[0 if up else 1] += 1
            group = groups.setdefault(answer.citation, RatedGroup(answer.citation, excerpt=answer.excerpt))
            group.up += up
            group.down += not up
            group.last = rating.rated_at
            if answer.question not in group.questions:
                group.questions.append(answer.question)
            if not up:
                group.disliked.add(answer.question)
                group.excerpt = answer.excerpt
    for group in groups.values():  # the wordings that got a 👎 first: they say what the passage misses
        group.questions.sort(key=lambda question: question not in group.disliked)
    result.units = dict(sorted(result.units.items(), key=lambda item: (-item[1][1], item[0])))
    # Worst first: most 👎 beyond 👍, then most 👎, then the most recent.
    result.groups = sorted(groups.values(), key=lambda g: (g.up - g.down, -g.down, -g.last.timestamp()))
    return result
