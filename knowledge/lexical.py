"""A BM25 index over folded Vietnamese tokens (kept on disk by ``knowledge.index_file``).

Tokens are folded (``Bình dân`` and ``binh dan`` are one token), letters and digits
are split (``nq57`` -> ``nq 57``), leading zeros dropped (``09`` = ``9``), known
abbreviations expanded (``CĐS`` -> ``chuyen doi so``). Adjacent words, and words
adjacent once function words are skipped, also form pairs, so a phrase outranks its
scattered words. Words written with diacritics are also kept as such (``~ký``), with a
small weight, so a question typed with them tells ``ký`` from ``kỹ``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

from knowledge.records import Chunk
from knowledge.textnorm import fold, nfc
from knowledge.vocabulary import (
    ABBREVIATIONS,
    CAPITAL_ABBREVIATIONS,
    CHAT_SPELLINGS,
    FOLDED_STOPWORDS,
    STOPWORDS,
)

_WORD_RE = re.compile(r"\w+")
_ALNUM_SPLIT_RE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
# Weight of an exact accented match next to its folded one: enough to tell "ký"
# from "kỹ" when all else is equal, not enough to outvote the words themselves.
ACCENT_WEIGHT = 0.3
STOP_PAIR_WEIGHT = 0.5
K1 = 1.2
B = 0.75


def _base_tokens(text: str) -> list[str]:
    """Folded word tokens with letters/digits split and leading zeros dropped."""
    result: list[str] = []
    for word in _WORD_RE.findall(fold(text).replace("%", " phan tram ")):
        for part in _ALNUM_SPLIT_RE.split(word):
            if part.isdigit():
                part = part.lstrip("0") or "0"
            result.append(part)
    return result


def _with_expansions(tokens: list[str]) -> list[str]:
    expanded = list(tokens)
    for token in tokens:
        expanded.extend(ABBREVIATIONS.get(token, "").split())
    return expanded


def _bigrams(tokens: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in zip(tokens, tokens[1:])]


def _accented(words: list[str]) -> list[str]:
    """Written forms of the words that carry diacritics ("~ký"): folding merges ký, kỹ
    and kỳ; a question typed with diacritics also scores on the exact word."""
    lowered = (word.lower() for word in words)
    return [f"~{word}" for word in lowered if word != fold(word)]


def _capital_expansions(words: list[str]) -> list[str]:
    return [part for word in words for part in CAPITAL_ABBREVIATIONS.get(word, "").split()]


def passage_terms(text: str) -> Counter:
    """Index terms of a passage: unigrams, expansions, bigrams and accented words."""
    tokens = _base_tokens(text)
    words = _WORD_RE.findall(nfc(text))
    accented = _accented(words) + _capital_expansions(words)
    # Pairs also skip function words: "đối với các doanh nghiệp" holds "doi_doanh".
    content = [token for token in tokens if token not in FOLDED_STOPWORDS]
    pairs = set(_bigrams(tokens)) | set(_bigrams(content))
    return Counter(_with_expansions(tokens) + list(pairs) + accented)


def expanded_words(text: str) -> list[str]:
    """Folded words of a text with chat spellings and abbreviations written out."""
    words = _base_tokens(normalize_question(text))
    return [part for word in words for part in (ABBREVIATIONS.get(word) or word).split()]


def _is_stopword(word: str) -> bool:
    lowered = word.lower()
    if lowered != fold(lowered):  # typed with diacritics: the exact word decides
        return lowered in STOPWORDS
    return lowered in FOLDED_STOPWORDS


def normalize_question(question: str) -> str:
    """The question in NFC with chat spellings (``ko``, ``j``, ``ntn``) written out."""
    words = []
    for word in re.findall(r"\w+|[^\w\s]+", nfc(question)):
        replacement = CHAT_SPELLINGS.get(word.lower())
        words.append(word if replacement is None else replacement)
    return " ".join(word for word in words if word)


def query_terms(question: str) -> Counter:
    """Search terms of a question: content words, their expansions and bigrams."""
    tokens: list[str] = []
    stop: list[bool] = []
    content_words: list[str] = []
    for word in _WORD_RE.findall(normalize_question(question)):
        # "AI" in capitals is the technology, "ai" is "who".
        is_stop = word != "AI" and _is_stopword(word)
        if not is_stop:
            content_words.append(word)
        for token in _base_tokens(word):
            tokens.append(token)
            stop.append(is_stop)
    content = [token for token, is_stop in zip(tokens, stop) if not is_stop]
    terms = Counter(_with_expansions(content) + _capital_expansions(content_words))
    for i in range(len(tokens) - 1):
        if stop[i] and stop[i + 1]:
            continue
        a, b = tokens[i], tokens[i + 1]
        # A pair with a function word ("vneid là") is weaker evidence than two content words.
        weight = STOP_PAIR_WEIGHT if stop[i] or stop[i + 1] else 1.0
        terms[f"{a}_{b}"] = max(terms[f"{a}_{b}"], weight)
        if a.isdigit() != b.isdigit():
            # Symbols are typed in any order: "nq57", "qd 923" for 57-NQ/TW, 923/QĐ-TTg.
            terms[f"{b}_{a}"] = max(terms[f"{b}_{a}"], weight)
    for a, b in zip(content, content[1:]):
        terms[f"{a}_{b}"] = max(terms[f"{a}_{b}"], 1.0)
    for term in _accented(content_words):
        terms[term] = ACCENT_WEIGHT
    return terms


def fingerprint(ids) -> str:
    """A short hash of a set of chunk ids: tells whether an index matches the store."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def chunk_terms(chunk: Chunk) -> Counter:
    """Index terms of a chunk: its text, section path (twice: headings weigh more) and title."""
    return passage_terms(f"{chunk.text}\n{chunk.section}\n{chunk.section}\n{chunk.title}")


class LexicalIndex:
    """BM25 over chunk terms; holds the chunks themselves for display."""

    def __init__(self, chunks: list[Chunk], terms: list[Counter], fingerprint_: str):
        self.chunks = chunks
        self.fingerprint = fingerprint_
        self._terms = terms
        self._by_id = {chunk.id: counter for chunk, counter in zip(chunks, terms)}
        self.localities = sorted({chunk.locality for chunk in chunks if chunk.locality})
        self._lengths = [sum(t.values()) for t in terms]
        self._avg_length = (sum(self._lengths) / len(terms)) if terms else 1.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for index, counter in enumerate(terms):
            for term, tf in counter.items():
                postings.setdefault(term, []).append((index, tf))
        self._postings = postings
        n = len(terms)
        self._idf = {
            term: math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for term, plist in postings.items()
        }

    @classmethod
    def build(cls, chunks: list[Chunk]) -> LexicalIndex:
        """Index chunks; each is searched by its text, section path and document title."""
        return cls(chunks, [chunk_terms(c) for c in chunks], fingerprint(c.id for c in chunks))

    def terms_of(self, chunk_id: str) -> Counter:
        """The index terms of a chunk (its text, section path and title)."""
        return self._by_id[chunk_id]

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term (0 when the corpus lacks it)."""
        return self._idf.get(term, 0.0)

    def scores(self, terms: Counter, allowed: set[int] | None = None) -> dict[int, float]:
        """BM25 score of every chunk that shares a term with the query."""
        scores: dict[int, float] = {}
        for term, weight in terms.items():
            idf = self._idf.get(term)
            if idf is None:
                continue
            for index, tf in self._postings[term]:
                if allowed is not None and index not in allowed:
                    continue
                norm = K1 * (1 - B + B * self._lengths[index] / self._avg_length)
                scores[index] = scores.get(index, 0.0) + weight * idf * tf * (K1 + 1) / (tf + norm)
        return scores
