"""Follow-up questions: "còn ở Hà Tĩnh thì sao?" right after a question uses that question.

One general rule, with or without diacritics. A message is a follow-up of the user's
previous question (asked within a few minutes) when

- it is built like one: "thế còn X", "vậy còn X", "còn X (thì sao | nữa)", "X thì sao",
  "X thì thế nào", with X short (a place, a level, a few words); or
- it alone is too short to be a question and names something of a kind the previous
  question named: "Hà Tĩnh?" after a question about Nghệ An, "mức 1?" after one about mức 2.

The combined question is the previous one with X put in place of the thing of the same
kind (a place: a province, a commune of the documents; a numbered level: "mức 2",
"giai đoạn 1", "Điều 5"; a year), or else the previous question followed by X. The
previous question is kept per user in the database (``recent_questions``), redacted,
so every worker sees the same context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.unanswered import redact
from hocvuso.db.models import RecentQuestion
from knowledge.places import PROVINCES
from knowledge.textnorm import fold, nfc

# X of "còn X thì sao" may have at most this many words; a longer message stands alone.
MAX_FOLLOWUP_WORDS = 6
# A message of at most this many words is too short to be a question on its own.
MAX_BARE_WORDS = 3

_LEADS = (("the", "con"), ("vay", "con"), ("con",), ("the",), ("vay",))
_STRONG_LEADS = {("the", "con"), ("vay", "con")}
_TRAILS = (
    ("thi", "nhu", "the", "nao"), ("thi", "the", "nao"), ("thi", "nhu", "nao"), ("thi", "ntn"),
    ("thi", "sao"), ("nua", "thi", "sao"), ("nua",),
)
# Particles at the very end ("… thì sao ạ", "… nữa nhỉ") and linking words before X ("còn ở X").
_PARTICLES = {"a", "ad", "nhi", "nhe", "ha", "vay", "the", "day", "ta"}
_LINKS = (("doi", "voi"), ("o",), ("tai",), ("ve",), ("voi",), ("cua",), ("cho",), ("ben",), ("trong",))
# Words naming a kind of place before its name ("tỉnh Nghệ An", "xã Nghĩa Trung"), as written in full.
_PLACE_WORDS = {("thanh", "pho"): "thành phố", ("thi", "xa"): "thị xã", ("thi", "tran"): "thị trấn",
                ("tinh",): "tỉnh", ("tp",): "TP", ("xa",): "xã", ("phuong",): "phường", ("huyen",): "huyện",
                ("quan",): "quận"}
_PLACE_KINDS = tuple(_PLACE_WORDS)
_PLACE_KIND_RE = re.compile(r"(?:" + "|".join(" ".join(kind) for kind in _PLACE_WORDS) + r")\s")
# Communes and districts: their names may extend a province's name ("xã Hòa Bình Tây").
_LOCAL_KINDS = {("thi", "xa"), ("thi", "tran"), ("xa",), ("phuong",), ("huyen",), ("quan",)}
# Words naming a numbered thing ("mức 2", "giai đoạn 1", "Điều 5"): X of the same word replaces it.
_LEVEL_KINDS = (("giai", "doan"), ("muc",), ("cap",), ("buoc",), ("dieu",), ("khoan",), ("chuong",), ("phan",),
                ("lop",), ("dot",), ("quy",), ("nam",))
_VALUE_RE = re.compile(r"^(?:\d+|[ivx]+|[a-d])$")
_YEAR_RE = re.compile(r"^(?:19|20)\d\d$")
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class _Token:
    text: str
    folded: str
    start: int
    end: int


@dataclass(frozen=True)
class _Slot:
    """A thing named in a question: its kind ("place", "level:muc", "year") and token span."""

    kind: str
    start: int  # token indices, end exclusive
    end: int
    name_start: int  # where the name starts after its kind word ("Nghệ An" in "tỉnh Nghệ An")
    written: str = ""  # a known place as the documents write it: "tỉnh Nghệ An" for "nghe an"


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), fold(m.group()), m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def _starts(folded: list[str], at: int, phrases: Iterable[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The longest of ``phrases`` found at token ``at``."""
    for phrase in sorted(phrases, key=len, reverse=True):
        if tuple(folded[at : at + len(phrase)]) == phrase:
            return phrase
    return None


class Followups:
    """Recognises follow-ups and writes the combined question; keeps each user's last question."""

    def __init__(self, minutes: float, places: Iterable[str] = ()):
        self.window = timedelta(minutes=minutes)
        # Folded name -> (name, the place in full when the documents write it: "tỉnh Nghệ An").
        self._names = {tuple(fold(name).split()): (name, "") for name in PROVINCES.split("|") if name.strip()
                       for name in [name.strip()]}
        for place in places:
            name = _name_only(place)
            if name:
                self._names[tuple(fold(name).split())] = (name, place)
        self._places = sorted(self._names, key=len, reverse=True)

    # Storage

    def previous(self, session, user: str, now: datetime) -> str | None:
        """The user's previous question, if asked within the window."""
        if self.window <= timedelta(0):
            return None
        row = session.get(RecentQuestion, user)
        if row is None or now - row.asked_at > self.window:
            return None
        return row.question

    def remember(self, session, user: str, question: str, now: datetime) -> None:
        """Keep ``question`` (redacted) as the user's previous question, in the caller's transaction."""
        text = redact(question)
        row = session.get(RecentQuestion, user)
        if row is None:
            session.add(RecentQuestion(user=user, question=text, asked_at=now))
        else:
            row.question, row.asked_at = text, now

    # The rule

    def combine(self, previous: str, message: str) -> str | None:
        """The question ``message`` asks in the context of ``previous``; None when it stands alone."""
        message = nfc(message)
        tokens = _tokens(message)
        folded = [t.folded for t in tokens]
        while folded and folded[-1] in _PARTICLES and len(folded) > 1:
            tokens, folded = tokens[:-1], folded[:-1]
        lead = _starts(folded, 0, _LEADS) or ()
        trail = next((t for t in sorted(_TRAILS, key=len, reverse=True)
                      if len(folded) > len(t) + len(lead) and tuple(folded[-len(t):]) == t), ())
        rest = tokens[len(lead) : len(tokens) - len(trail)]
        while rest and (link := _starts([t.folded for t in rest], 0, _LINKS)) and len(rest) > len(link):
            rest = rest[len(link):]
        if not rest or len(rest) > MAX_FOLLOWUP_WORDS:
            return None
        slots = self._slots(rest)
        whole = slots[0] if len(slots) == 1 and (slots[0].start, slots[0].end) == (0, len(rest)) else None
        new = (whole and whole.written) or message[rest[0].start : rest[-1].end]
        before = _tokens(previous)
        old = next((s for s in self._slots(before) if whole and s.kind == whole.kind), None)
        if not (_marked(lead, trail, tokens, rest, whole) or (len(tokens) <= MAX_BARE_WORDS and old is not None)):
            return None
        if old is None:
            return f"{previous.rstrip(' ?.!')} {new}"
        if whole.name_start == whole.start and old.name_start != old.start and not _PLACE_KIND_RE.match(fold(new)):
            # "Hà Giang" for "tỉnh Nghệ An": the kind word stays, the name changes.
            start = before[old.name_start].start
        else:
            start = before[old.start].start
        return previous[:start] + new + previous[before[old.end - 1].end :]

    def _slots(self, tokens: list[_Token]) -> list[_Slot]:
        """The places, numbered levels and years named in ``tokens``, left to right."""
        folded = [t.folded for t in tokens]
        slots: list[_Slot] = []
        at = 0
        while at < len(folded):
            kind = _starts(folded, at, _PLACE_KINDS)
            name_at = at + len(kind) if kind else at
            place = _starts(folded, name_at, self._places)
            name, full = self._names.get(place, ("", ""))
            written = f"{_PLACE_WORDS[kind]} {name}" if kind and name else full or name
            if place is None and kind:  # "xã Hòa Bình": a capitalised name the documents lack
                size = 0
                while size < 3 and name_at + size < len(tokens) and tokens[name_at + size].text[:1].isupper():
                    size += 1
                place = tuple(folded[name_at : name_at + size]) or None
            if place:
                end = name_at + len(place)
                while kind in _LOCAL_KINDS and end < len(tokens) and end - name_at < 4 and tokens[end].text[:1].isupper():
                    end, written = end + 1, ""  # "xã Hòa Bình Tây": a longer name than the one known
                slots.append(_Slot("place", at, end, name_at, written))
                at = end
                continue
            level = _starts(folded, at, _LEVEL_KINDS)
            if level and at + len(level) < len(folded) and _VALUE_RE.match(folded[at + len(level)]):
                end = at + len(level) + 1
                if level == ("nam",) and _YEAR_RE.match(folded[end - 1]):  # "năm 2030": a year
                    slots.append(_Slot("year", at, end, end - 1))
                else:
                    slots.append(_Slot("level:" + " ".join(level), at, end, at))
                at = end
                continue
            if _YEAR_RE.match(folded[at]):
                slots.append(_Slot("year", at, at + 1, at))
            at += 1
        return slots


def _marked(lead: tuple, trail: tuple, tokens: list[_Token], rest: list[_Token], whole: _Slot | None) -> bool:
    """True when the message is built like a follow-up (see the module docstring)."""
    if lead in _STRONG_LEADS:
        return True
    if lead == ("con",):
        # Without diacritics "con" may be "con" (a child): "còn" needs a diacritic, an ending or a bare thing.
        return tokens[0].text.lower() == "còn" or bool(trail) or whole is not None
    if lead:  # "thế X thì sao", "vậy X thì sao"
        return bool(trail)
    # "X thì sao" alone: X a place, a level, or two words at most ("trẻ em thì sao").
    return bool(trail) and trail != ("nua",) and (whole is not None or len(rest) <= 2)


def _name_only(place: str) -> str:
    """"tỉnh Hà Tĩnh" -> "Hà Tĩnh"."""
    words = place.split()
    folded = [fold(word) for word in words]
    kind = _starts(folded, 0, _PLACE_KINDS)
    return " ".join(words[len(kind):]) if kind else place
