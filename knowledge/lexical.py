"""A BM25 index over folded Vietnamese tokens, persisted as JSON next to the store.

Tokens are folded (``Bình dân`` and ``binh dan`` are one token), letters and digits
are split (``nq57`` -> ``nq 57``), leading zeros dropped (``09`` = ``9``), a final "y"
after a consonant written "i" (``ký`` = ``kí``), known abbreviations expanded (``CĐS`` ->
``chuyen doi so``). Adjacent words, and words adjacent once function words are
skipped, also form pairs, so a phrase outranks its scattered words.

Words written with diacritics are also kept as such (``~ký``, see ``textnorm.accent_key``).
A question word typed with diacritics is matched on that form only: "hôn" does not find
"hơn". A word typed without them matches every word it folds to.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import Counter
from pathlib import Path

from knowledge.records import Chunk
from knowledge.textnorm import accent_key, canonical_y, fold, has_marks, nfc
from knowledge.vocabulary import (
    ABBREVIATION_WORDS,
    ABBREVIATIONS,
    CAPITAL_ABBREVIATIONS,
    FOLDED_STOPWORDS,
    STOPWORDS,
)

FORMAT_VERSION = 5
_WORD_RE = re.compile(r"\w+")
_ALNUM_SPLIT_RE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
STOP_PAIR_WEIGHT = 0.5
K1 = 1.2
B = 0.75


def _base_tokens(text: str) -> list[str]:
    """Folded word tokens with letters/digits split and leading zeros dropped."""
    result: list[str] = []
    for word in _WORD_RE.findall(fold(text)):
        for part in _ALNUM_SPLIT_RE.split(word):
            if part.isdigit():
                part = part.lstrip("0") or "0"
            result.append(canonical_y(part))
    return result


def accented(word: str) -> str:
    """The index term of a word as written with diacritics: ``~`` and its accent key."""
    return "~" + accent_key(word)


def _bigrams(tokens: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in zip(tokens, tokens[1:])]


def _expansion_terms(tokens: list[str]) -> list[str]:
    """Words, written forms and pairs of the abbreviations among ``tokens``."""
    terms: list[str] = []
    for token in tokens:
        written = ABBREVIATION_WORDS.get(token)
        if written:
            words = written.split()
            folded = _base_tokens(written)
            terms += folded + _bigrams(folded) + [accented(w) for w in words if has_marks(w)]
    return terms


def _capital_expansions(words: list[str]) -> list[str]:
    return [part for word in words for part in CAPITAL_ABBREVIATIONS.get(word, "").split()]


def passage_terms(text: str) -> Counter:
    """Index terms of a passage: unigrams, expansions, bigrams and accented words."""
    text = text.replace("%", " phần trăm ")
    tokens = _base_tokens(text)
    words = _WORD_RE.findall(nfc(text))
    written = [accented(word) for word in words if has_marks(word)] + _capital_expansions(words)
    # Pairs also skip function words: "đối với các doanh nghiệp" holds "doi_doanh".
    content = [token for token in tokens if token not in FOLDED_STOPWORDS]
    pairs = set(_bigrams(tokens)) | set(_bigrams(content))
    return Counter(tokens + _expansion_terms(tokens) + list(pairs) + written)


def expanded_words(text: str) -> list[str]:
    """Folded words of a text with abbreviations written out."""
    return [part for word in _base_tokens(text) for part in (ABBREVIATIONS.get(word) or word).split()]


def is_stopword(word: str) -> bool:
    """True for a function word; a word typed with diacritics is judged as typed."""
    lowered = word.lower()
    if has_marks(lowered):  # typed with diacritics: the exact word decides
        return lowered in STOPWORDS
    return lowered in FOLDED_STOPWORDS


def query_terms(question: str, written: frozenset[str] = frozenset()) -> Counter:
    """Search terms of a question (already in the documents' words, see ``query.py``):
    content words (as typed: folded, or with their diacritics), expansions and pairs.

    Words in ``written`` (lower case, without diacritics) are matched as written too:
    in a question typed with diacritics, "ly" is "ly", not "lý".
    """
    tokens: list[str] = []
    stop: list[bool] = []
    terms: Counter = Counter()
    content_words: list[str] = []
    for word in _WORD_RE.findall(nfc(question).replace("%", " phần trăm ")):
        # "AI" in capitals is the technology, "ai" is "who".
        is_stop = word != "AI" and is_stopword(word)
        parts = _base_tokens(word)
        tokens += parts
        stop += [is_stop] * len(parts)
        if is_stop:
            continue
        content_words.append(word)
        if (has_marks(word) or word.lower() in written) and not any(part in ABBREVIATIONS for part in parts):
            terms[accented(word)] += 1
        else:
            terms.update(parts)
            terms.update(_expansion_terms(parts))
    terms.update(_capital_expansions(content_words))
    content = [token for token, is_stop in zip(tokens, stop) if not is_stop]
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
    return terms


def fingerprint(ids) -> str:
    """A short hash of a set of chunk ids: tells whether an index matches the store."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


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
        terms = [
            passage_terms(f"{c.text}\n{c.section}\n{c.section}\n{c.title}") for c in chunks
        ]
        return cls(chunks, terms, fingerprint(c.id for c in chunks))

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

    def save(self, path: Path) -> None:
        """Write the index atomically, so a crash never leaves half a file."""
        data = {
            "version": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "chunks": [
                {**chunk.model_dump(), "terms": dict(terms)}
                for chunk, terms in zip(self.chunks, self._terms)
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    @staticmethod
    def _read(path: Path) -> dict | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if data.get("version") == FORMAT_VERSION else None

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        """Read a saved index; None when missing, unreadable or of another format."""
        data = cls._read(path)
        if data is None:
            return None
        chunks, terms = [], []
        for item in data["chunks"]:
            terms.append(Counter(item.pop("terms")))
            chunks.append(Chunk.model_construct(**item))  # written by save(): already valid
        return cls(chunks, terms, data["fingerprint"])

    @classmethod
    def stored_rows(cls, path: Path) -> list[tuple[str, dict]] | None:
        """``(chunk id, metadata with doc_id)`` of a saved index, without building it."""
        data = cls._read(path)
        if data is None:
            return None
        return [(item["id"], {**item["metadata"], "doc_id": item["doc_id"]}) for item in data["chunks"]]
