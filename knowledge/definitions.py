"""Definitions: sentences that say what something is ("VNeID là ứng dụng ..."), and
questions that ask for one ("vneid là gì", "Thế nào là mật khẩu mạnh?").

A passage defining what a question asks about is the answer to it, even when other
passages use the same words more often ("khi bật xác thực hai yếu tố ...").
"""

from __future__ import annotations

import re

from knowledge.lexical import expanded_words
from knowledge.textnorm import nfc
from knowledge.vocabulary import FOLDED_STOPWORDS, STOPWORDS

MAX_SUBJECT_WORDS = 8
# "X là ...", "X (còn gọi là Y) là ...", '"X" là ...' at the start of a sentence or list item.
_DEFINITION_RE = re.compile(
    r"(?:^|(?<=[.!?:;])\s+)[-+]?\s*([^.!?:;()\n]{2,80}?)\s*(?:\(([^()\n]{1,80})\))?\s+là\s+(?!gì\b)",
    re.MULTILINE,
)
# A parenthesis naming the subject otherwise: "(còn gọi là xác minh hai bước)", "(AI)".
_ALIAS_RE = re.compile(r"^(?:còn gọi là|hay|gọi tắt là|viết tắt là)\s+", re.IGNORECASE)
# Folded forms of "what is X" questions: X before "là gì", or after "thế nào là".
# "X giữ vai trò gì" asks what X is too: "nhà khoa học là nhân tố then chốt".
# "X được định nghĩa / được hiểu thế nào" asks for the definition of X, as laws give it.
_ASKED_BEFORE = (
    ("duoc", "dinh", "nghia", "nhu", "the", "nao"),
    ("duoc", "dinh", "nghia", "the", "nao"),
    ("duoc", "dinh", "nghia", "la", "gi"),
    ("duoc", "hieu", "nhu", "the", "nao"),
    ("duoc", "hieu", "the", "nao"),
    ("duoc", "hieu", "la", "gi"),
    ("co", "nghia", "la", "gi"),
    ("nghia", "la", "gi"),
    ("la", "cai", "gi"),
    ("la", "gi"),
    ("giu", "vai", "tro", "gi"),
    ("co", "vai", "tro", "gi"),
    ("vai", "tro", "gi"),
)
_ASKED_AFTER = (("the", "nao", "la"), ("the", "nao", "duoc", "goi", "la"))
# Particles that may end a question after its subject ("thế nào là OTP vậy ạ").
_PARTICLES = frozenset("vay a ha nhi nhe nha the day".split())


def defined_subjects(text: str) -> set[tuple[str, ...]]:
    """Folded word sequences that a text defines ("xac thuc hai yeu to", "xac minh hai buoc")."""
    subjects: set[tuple[str, ...]] = set()
    for match in _DEFINITION_RE.finditer(nfc(text)):
        names = [match.group(1)]
        if match.group(2):
            names.append(_ALIAS_RE.sub("", match.group(2).strip()))
        for name in names:
            words = tuple(expanded_words(name))
            # "Đó là ..." refers back; it defines nothing a question could name.
            pointer = all(word in STOPWORDS for word in re.findall(r"\w+", name.lower()))
            if 0 < len(words) <= MAX_SUBJECT_WORDS and not pointer:
                subjects.add(words)
    return subjects


def _find(words: list[str], phrase: tuple[str, ...]) -> int:
    """Position of ``phrase`` in ``words``, or -1."""
    n = len(phrase)
    return next((i for i in range(len(words) - n + 1) if tuple(words[i : i + n]) == phrase), -1)


def _asked(question: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(subject, the words asking for its definition) of a "what is X" question, or None."""
    words = expanded_words(question)
    for tail in _ASKED_BEFORE:
        at = _find(words, tail)
        if at > 0:
            return tuple(words[:at]), tail
    for head in _ASKED_AFTER:
        at = _find(words, head)
        if at >= 0:
            subject = words[at + len(head) :]
            while subject and subject[-1] in _PARTICLES:
                subject.pop()
            if subject:
                return tuple(subject), head
    return None


def asked_subject(question: str) -> tuple[str, ...] | None:
    """The folded words before which a question asks "what is it", or None.

    The words may start with others ("cho mình hỏi vneid"): a definition matches
    when its subject ends them (see :func:`defines`).
    """
    asked = _asked(question)
    return asked[0] if asked else None


def asking_words(question: str) -> frozenset[str]:
    """Content words that only ask for a definition ("định nghĩa" in "X được định nghĩa
    thế nào"): the passages to find are about X, not about these words."""
    asked = _asked(question)
    if not asked:
        return frozenset()
    subject, frame = asked
    return frozenset(word for word in frame if word not in FOLDED_STOPWORDS and word not in subject)


def defines(subjects: set[tuple[str, ...]], asked: tuple[str, ...]) -> bool:
    """True when one of ``subjects`` is what ``asked`` ends with."""
    return any(asked[-len(subject) :] == subject for subject in subjects)
