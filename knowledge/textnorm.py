"""Vietnamese text normalisation shared by retrieval, commands and evaluation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD_RE = re.compile(r"\w+", re.UNICODE)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (phones and some keyboards send NFD)."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=65536)  # the same words and passages are folded again and again
def fold(text: str) -> str:
    """Lower-case and strip diacritics: ``"Bình Dân Học Vụ Số"`` -> ``"binh dan hoc vu so"``."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def words(text: str) -> list[str]:
    """Folded word tokens of ``text``."""
    return _WORD_RE.findall(fold(text))


_NAME_RE = re.compile(r"^(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*\s){1,4}[A-ZĐÀ-Ỹ][a-zà-ỹđ]*$")


def looks_like_name(text: str) -> bool:
    """True for a Vietnamese personal name alone on its line: ``Bùi Đình Long``."""
    return bool(_NAME_RE.match(text.strip()))


# Tone marks (grave, acute, tilde, hook, dot below) as opposed to the marks that make
# another letter (â, ă, ê, ô, ơ, ư): a word's tone sits on one vowel or the next by
# spelling habit ("hoà"/"hòa", "thuỷ"/"thủy"), its letters never move.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# "y" ending a syllable after a consonant is written "i" too (ký/kí, lý/lí, mỹ/mĩ).
_FINAL_Y_RE = re.compile(r"(?<=[bcdđghklmnpqrstvx])y$")


def canonical_y(word: str) -> str:
    """``word`` with a final "y" after a consonant written "i": "ky" -> "ki"."""
    return _FINAL_Y_RE.sub("i", word)


@lru_cache(maxsize=65536)
def accent_key(word: str) -> str:
    """A word as typed with diacritics, with spelling habits removed: its letters
    (â, ơ, đ kept), then its tone as a digit. "hòa" and "hoà" meet, "hôn" and "hơn" do not."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tone = next((str(i) for i, mark in enumerate(_TONES, 1) if mark in decomposed), "")
    letters = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    return canonical_y(letters) + tone


def has_marks(word: str) -> bool:
    """True when the word carries diacritics (or đ): typed as a Vietnamese word, not folded."""
    return fold(word) != word.lower()
