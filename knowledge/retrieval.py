"""Retrieval with filters: BM25 over folded tokens, fused with dense vectors when there are any.

The default embedding backend ``none`` makes no vectors: retrieval is then BM25 alone.
"""

from __future__ import annotations

import math
import re

from knowledge.citations import citation
from knowledge.definitions import asked_subject, defined_subjects, defines
from knowledge.diacritics import DiacriticRestorer
from knowledge.filters import DocumentFilter, Filters
from knowledge.lexical import LexicalIndex, expanded_words, passage_terms, query_terms
from knowledge.records import SECTION_SEPARATOR, Chunk, Source
from knowledge.textnorm import fold
from knowledge.vocabulary import FOLDED_STOPWORDS

# Reciprocal-rank fusion constant and the weight of each ranking. Lexical matching
# weighs more: the plans' wording (symbols, names, dates) is what people ask about.
# Measured on the dev set (MRR@10, with and without diacritics): dense weight 0.1 ties
# lexical alone (0.99) and helps paraphrases; 0.2 and 0.3 lower it (0.98, 0.975).
RRF_K = 20
LEXICAL_WEIGHT = 1.0
DENSE_WEIGHT = 0.1
DENSE_CANDIDATES = 40
# Evidence beyond the shared words multiplies a passage's BM25 score (so a passage
# that matches far better still wins): the question names the passage's document
# (its place, its issuer, words of its title; up to this share), holds its heading,
# or asks what the passage defines ("VNeID là gì?").
DOCUMENT_WEIGHT = 0.5
HEADING_WEIGHT = 0.3
DEFINITION_WEIGHT = 0.5
# A question naming a place is rarely answered by another place's plan.
OTHER_PLACE_WEIGHT = 0.7
# A lesson's objectives ("## Mục tiêu") announce what it teaches in the very words
# people ask with, and answer nothing: they rank below the passages that do.
OBJECTIVES_WEIGHT = 0.3


_PLACE_KIND_RE = re.compile(r"^(?:tinh|thanh pho|xa|phuong|huyen|quan|thi xa|thi tran)\s+")
_PLACE_KINDS = frozenset("tinh pho tp xa phuong huyen quan tran".split())


def _where(kind: str | None, doc_id: str | None) -> dict | None:
    clauses = [{"kind": kind}] if kind else []
    clauses += [{"doc_id": doc_id}] if doc_id else []
    if len(clauses) > 1:
        return {"$and": clauses}
    return clauses[0] if clauses else None


def heading_words(heading: str) -> tuple[str, ...]:
    """The folded words of a heading, without its number; empty when shorter than
    three words (too common to point at one section)."""
    label = re.sub(r"^(?:[IVX]+\.|\d+(?:\.\d+)*\.|[a-zđ]\))\s*", "", heading)
    words = tuple(expanded_words(label))
    return words if len(words) >= 3 else ()


def path_headings(section: str) -> list[tuple[str, ...]]:
    """The words of the headings of a section and of the sections above it."""
    return [words for words in map(heading_words, section.split(SECTION_SEPARATOR)) if words]


def place_name(locality: str) -> tuple[str, ...]:
    """The folded words of a place's name without its kind: "tỉnh Nghệ An" -> ("nghe", "an")."""
    return tuple(_PLACE_KIND_RE.sub("", fold(locality)).split())


def holds_heading(asked: list[str], heading: tuple[str, ...]) -> bool:
    """True when the question's words hold the heading's in order, with nothing but
    function words between them ("ai được tham gia" holds "Ai tham gia?")."""
    for start, word in enumerate(asked):
        if word != heading[0]:
            continue
        found, position = 1, start + 1
        while found < len(heading) and position < len(asked):
            if asked[position] == heading[found]:
                found += 1
            elif asked[position] not in FOLDED_STOPWORDS:
                break
            position += 1
        if found == len(heading):
            return True
    return False


def names_place(asked: list[str], place: tuple[str, ...], index: LexicalIndex) -> bool:
    """True when the question's words name the place: its words in a row, not ending
    a longer word of the corpus ("công nghệ an toàn" names no Nghệ An)."""
    n = len(place)
    for start in range(len(asked) - n + 1):
        if tuple(asked[start : start + n]) != place:
            continue
        before = asked[start - 1] if start else ""
        if before in FOLDED_STOPWORDS or before in _PLACE_KINDS or not index.idf(f"{before}_{place[0]}"):
            return True
    return False


def is_objectives(chunk: Chunk) -> bool:
    """True for a lesson's objectives section, which says what the lesson teaches."""
    return chunk.kind == "lesson" and fold(chunk.section) == "muc tieu"


def source_of(chunk: Chunk, score: float) -> Source:
    """The public view of a retrieved chunk."""
    return Source(
        doc_id=chunk.doc_id,
        title=chunk.title,
        section=chunk.section,
        kind=chunk.kind,
        text=chunk.text,
        score=round(score, 4),
        citation=citation(chunk.metadata.get("short_name") or chunk.title, chunk.section, chunk.kind),
    )


class Retriever:
    """Ranks chunks for a question from the lexical index and, when present, the dense store."""

    def __init__(self, index: LexicalIndex, store=None):
        self.index = index
        self.store = store if store is not None and store.embedder.dense else None
        self._position = {chunk.id: i for i, chunk in enumerate(index.chunks)}
        self._filter = DocumentFilter(index.chunks)
        self._names = self._document_names(index.chunks)
        self._headings = [path_headings(chunk.section) for chunk in index.chunks]
        self._places = {chunk.doc_id: place_name(chunk.locality) for chunk in index.chunks if chunk.locality}
        self._objectives = [is_objectives(chunk) for chunk in index.chunks]
        self._defined = [defined_subjects(chunk.text) for chunk in index.chunks]
        # The dense model reads folded questions poorly: it gets them with diacritics restored.
        self._restorer = DiacriticRestorer([c.text for c in index.chunks]) if self.store else None

    @staticmethod
    def _document_names(chunks: list[Chunk]) -> dict[str, set[str]]:
        """Per document, the terms that name it: title, place and issuer."""
        names: dict[str, set[str]] = {}
        for chunk in chunks:
            if chunk.doc_id not in names:
                naming = f"{chunk.title}\n{chunk.locality}\n{chunk.metadata.get('issuer', '')}"
                names[chunk.doc_id] = set(passage_terms(naming))
        return names

    def _document_prior(self, terms) -> dict[str, float]:
        """How strongly the question names each document, from 0 to 1."""
        n = len(self._names)
        scores: dict[str, float] = {}
        for term in terms:
            holders = [doc for doc, names in self._names.items() if term in names]
            if holders and len(holders) < n:
                weight = math.log(n / len(holders))
                for doc in holders:
                    scores[doc] = scores.get(doc, 0.0) + weight
        top = max(scores.values(), default=0.0)
        return {doc: score / top for doc, score in scores.items()} if top else {}

    def _weigh(self, question: str, terms, lexical: dict[int, float]) -> None:
        """Multiply the BM25 scores by the evidence beyond shared words."""
        chunks = self.index.chunks
        prior = self._document_prior(terms)
        asked = expanded_words(question)
        named = {place for place in self._places.values() if names_place(asked, place, self.index)}
        subject = asked_subject(question)
        held: dict[tuple[str, ...], bool] = {}  # sections share headings: check each once
        first_words = set(asked)
        for index in lexical:
            chunk = chunks[index]
            factor = 1.0 + DOCUMENT_WEIGHT * prior.get(chunk.doc_id, 0.0)
            # The heading of the passage's section, or of a section above it.
            for heading in self._headings[index]:
                if heading not in held:
                    held[heading] = heading[0] in first_words and holds_heading(asked, heading)
                if held[heading]:
                    factor += HEADING_WEIGHT
                    break
            if subject and defines(self._defined[index], subject):
                factor += DEFINITION_WEIGHT
            if named and self._places.get(chunk.doc_id) not in named:
                factor *= OTHER_PLACE_WEIGHT
            if self._objectives[index]:
                factor *= OBJECTIVES_WEIGHT
            lexical[index] *= factor

    def ranked(
        self,
        question: str,
        k: int = 10,
        kind: str | None = None,
        doc_id: str | None = None,
        locality: str | None = None,
        doc_type: str | None = None,
        issuer: str | None = None,
    ) -> list[tuple[Chunk, float]]:
        """Best chunks with their fused scores, best first."""
        chunks = self.index.chunks
        allowed = self._filter.allowed(Filters(kind, doc_id, doc_type, issuer, locality))
        terms = query_terms(question)
        lexical = self.index.scores(terms, allowed)
        self._weigh(question, terms, lexical)
        fused: dict[int, float] = {}
        for rank, index in enumerate(sorted(lexical, key=lexical.get, reverse=True)):
            fused[index] = LEXICAL_WEIGHT / (RRF_K + rank + 1)
        if self.store is not None:
            vector = self.store.embedder.embed_query(self._restorer.restore(question))
            hits = self.store.nearest(vector, DENSE_CANDIDATES, _where(kind, doc_id))
            dense = [self._position[i] for i, _ in hits if i in self._position]
            if allowed is not None:
                dense = [i for i in dense if i in allowed]
            for rank, index in enumerate(dense):
                fused[index] = fused.get(index, 0.0) + DENSE_WEIGHT / (RRF_K + rank + 1)
        best = sorted(fused, key=fused.get, reverse=True)[:k]
        return [(chunks[i], fused[i]) for i in best]

    def search(self, question: str, k: int = 10, **filters) -> list[Source]:
        """Best sources for a question, best first."""
        return [source_of(chunk, score) for chunk, score in self.ranked(question, k, **filters)]
