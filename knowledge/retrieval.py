"""Stage 2, retrieve: candidates from the lexical index (BM25 over folded and written
terms), reranked by ``ranking.py``, fused with dense vectors when there are any.

The default embedding backend ``none`` makes no vectors: retrieval is then BM25 alone.
"""

from __future__ import annotations

import re

from knowledge.citations import citation
from knowledge.diacritics import DiacriticRestorer
from knowledge.lexical import LexicalIndex
from knowledge.query import Query, ShortForms, understand
from knowledge.ranking import Ranker
from knowledge.records import Chunk, Source
from knowledge.textnorm import fold, has_marks

# Reciprocal-rank fusion constant and the weight of each ranking. Lexical matching
# weighs more: the plans' wording (symbols, names, dates) is what people ask about.
# Measured on the dev set (MRR@10, with and without diacritics): dense weight 0.1 ties
# lexical alone (0.99) and helps paraphrases; 0.2 and 0.3 lower it (0.98, 0.975).
RRF_K = 20
LEXICAL_WEIGHT = 1.0
DENSE_WEIGHT = 0.1
DENSE_CANDIDATES = 40


def _matches(chunk: Chunk, kind: str | None, doc_id: str | None, locality: str | None) -> bool:
    if kind and chunk.kind != kind:
        return False
    if doc_id and chunk.doc_id != doc_id:
        return False
    return not locality or fold(locality) in fold(chunk.locality)


def _where(kind: str | None, doc_id: str | None) -> dict | None:
    clauses = [{"kind": kind}] if kind else []
    clauses += [{"doc_id": doc_id}] if doc_id else []
    if len(clauses) > 1:
        return {"$and": clauses}
    return clauses[0] if clauses else None


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
        self.ranker = Ranker(index)
        self.short_forms = ShortForms(index.chunks)
        self._position = {chunk.id: i for i, chunk in enumerate(index.chunks)}
        # Words the documents write without diacritics ("vneid", "thi", "ly" if any).
        self._plain = {
            word
            for chunk in index.chunks
            for word in re.findall(r"[^\W\d_]+", f"{chunk.text} {chunk.section} {chunk.title}".lower())
            if not has_marks(word)
        }
        # The dense model reads folded questions poorly: it gets them with diacritics restored.
        self._restorer = DiacriticRestorer([c.text for c in index.chunks]) if self.store else None

    def understand(self, question: str) -> Query:
        """Stage 1 with this corpus' short forms and words."""
        return understand(
            question, self.short_forms, lambda token: bool(self.index.idf(token)), self._plain.__contains__
        )

    def ranked(
        self,
        query: Query | str,
        k: int = 10,
        kind: str | None = None,
        doc_id: str | None = None,
        locality: str | None = None,
    ) -> list[tuple[Chunk, float]]:
        """Best chunks with their fused scores, best first."""
        if isinstance(query, str):
            query = self.understand(query)
        chunks = self.index.chunks
        allowed = None
        if kind or doc_id or locality:
            allowed = {i for i, c in enumerate(chunks) if _matches(c, kind, doc_id, locality)}
        lexical = self.index.scores(query.terms, allowed)
        self.ranker.weigh(query, lexical)
        fused: dict[int, float] = {}
        for rank, index in enumerate(sorted(lexical, key=lexical.get, reverse=True)):
            fused[index] = LEXICAL_WEIGHT / (RRF_K + rank + 1)
        if self.store is not None:
            vector = self.store.embedder.embed_query(self._restorer.restore(query.rewritten))
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
