"""Put diacritics back on questions typed without them, using the corpus' own words.

The dense model reads ``binh dan hoc vu so`` poorly but ``bình dân học vụ số`` well.
Each folded word may stand for several written words (``so``: số, sở, sổ...); the
most likely sequence under the corpus' word and word-pair counts is chosen (Viterbi).
Words the corpus does not know are left as typed.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from knowledge.textnorm import fold, nfc

_WORD_RE = re.compile(r"\w+|[^\w\s]+")


class DiacriticRestorer:
    """Learns written forms from a corpus and restores them in folded text."""

    def __init__(self, texts: list[str]):
        self._unigrams: Counter = Counter()
        self._bigrams: Counter = Counter()
        self._forms: dict[str, set[str]] = {}
        for text in texts:
            words = re.findall(r"\w+", nfc(text).lower())
            self._unigrams.update(words)
            self._bigrams.update(zip(words, words[1:]))
        for word in self._unigrams:
            self._forms.setdefault(fold(word), set()).add(word)

    def _score(self, previous: str | None, word: str) -> float:
        pair = self._bigrams.get((previous, word), 0) if previous else 0
        return 2.0 * math.log1p(pair) + math.log1p(self._unigrams.get(word, 0))

    def restore(self, text: str) -> str:
        """``text`` with diacritics restored on the words typed without them."""
        tokens = _WORD_RE.findall(nfc(text))
        words = [i for i, token in enumerate(tokens) if token[0].isalnum() or token[0] == "_"]
        # Lattice over the word tokens: (score, chosen forms) per candidate of the last word.
        paths: dict[str | None, tuple[float, list[str]]] = {None: (0.0, [])}
        for index in words:
            token = tokens[index]
            lowered = token.lower()
            typed_plain = fold(lowered) == lowered
            candidates = sorted(self._forms.get(lowered, set())) if typed_plain else []
            candidates = candidates or [lowered]
            new_paths: dict[str | None, tuple[float, list[str]]] = {}
            for candidate in candidates:
                new_paths[candidate] = max(
                    (score + self._score(previous, candidate), chosen + [candidate])
                    for previous, (score, chosen) in paths.items()
                )
            paths = new_paths
        chosen = max(paths.values())[1]
        for index, form in zip(words, chosen):
            token = tokens[index]
            if fold(form) == token.lower() and form != token.lower():
                tokens[index] = form.capitalize() if token[0].isupper() else form
        return " ".join(tokens)
