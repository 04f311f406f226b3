"""Vietnamese text normalisation shared by retrieval, commands and evaluation."""

from __future__ import annotations

import re
import unicodedata

_WORD_RE = re.compile(r"\w+", re.UNICODE)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (phones and some keyboards send NFD)."""
    return unicodedata.normalize("NFC", text)


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
