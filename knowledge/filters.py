"""Which documents a search may return: by kind, document, type, issuer or locality.

Every filter is a property of a whole document, so it is decided once per document
(hundreds), not per passage (tens of thousands), and remembered per filter. A
province as locality also takes in the documents of its communes whose metadata
names it (``province``, read from the header at ingest).
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.records import Chunk
from knowledge.textnorm import fold


@dataclass(frozen=True)
class Filters:
    """The restrictions of one search; all empty means the whole knowledge base."""

    kind: str | None = None
    doc_id: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    locality: str | None = None

    def __bool__(self) -> bool:
        return any((self.kind, self.doc_id, self.doc_type, self.issuer, self.locality))

    def matches(self, chunk: Chunk) -> bool:
        """True when the chunk's document passes every filter."""
        meta = chunk.metadata
        if self.kind and chunk.kind != self.kind:
            return False
        if self.doc_id and chunk.doc_id != self.doc_id:
            return False
        if self.doc_type and fold(self.doc_type) != fold(meta.get("doc_type", "")):
            return False
        if self.issuer and fold(self.issuer) not in fold(meta.get("issuer", "")):
            return False
        if self.locality:
            place = fold(self.locality)
            return place in fold(chunk.locality) or place in fold(meta.get("province", ""))
        return True


class DocumentFilter:
    """The chunk positions each filter allows, computed per document and cached."""

    CACHED = 256

    def __init__(self, chunks: list[Chunk]):
        self._documents: dict[str, tuple[Chunk, list[int]]] = {}
        for position, chunk in enumerate(chunks):
            self._documents.setdefault(chunk.doc_id, (chunk, []))[1].append(position)
        self._cache: dict[Filters, frozenset[int]] = {}

    def allowed(self, filters: Filters) -> frozenset[int] | None:
        """Positions of the chunks the filters allow; None when nothing is filtered."""
        if not filters:
            return None
        found = self._cache.get(filters)
        if found is None:
            found = frozenset(
                position
                for first, positions in self._documents.values()
                if filters.matches(first)
                for position in positions
            )
            if len(self._cache) >= self.CACHED:
                self._cache.clear()
            self._cache[filters] = found
        return found
