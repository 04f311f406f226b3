"""The knowledge base: the plans and lessons, searchable and answerable with citations."""

from __future__ import annotations

import threading
from pathlib import Path

from knowledge.answering import make_answerer
from knowledge.lexical import LexicalIndex, fingerprint
from knowledge.records import SECTION_SEPARATOR, Answer, Chunk, Source
from knowledge.retrieval import Retriever


def index_path(settings, embedder_key: str) -> Path:
    """Where the lexical index of the collection of an embedder is kept."""
    return settings.data_dir / "index" / f"lexical-{embedder_key}.json"


def rebuild_lexical_index(settings, store) -> LexicalIndex:
    """Build the lexical index from the store's chunks and save it."""
    index = LexicalIndex.build(store.chunks())
    index.save(index_path(settings, store.embedder.key))
    return index


def current_lexical_index(settings, store) -> LexicalIndex:
    """The saved lexical index when it matches the store, else one rebuilt from the store."""
    index = LexicalIndex.load(index_path(settings, store.embedder.key))
    if index is None or index.fingerprint != fingerprint(store.ids()):
        # Another process ingested into a shared Chroma: follow the store.
        index = rebuild_lexical_index(settings, store)
    return index


class KnowledgeBase:
    """Search, answers, documents and sections over the ingested knowledge."""

    def __init__(self, settings, store, index: LexicalIndex, answerer=None):
        self.settings = settings
        self._store = store
        self._index = index
        self._retriever = Retriever(index, store)
        self._answerer = answerer or make_answerer(settings)
        self._lock = threading.Lock()  # the embedder is not safe for concurrent calls

    @classmethod
    def open(cls, settings) -> KnowledgeBase:
        """Open the existing store (embedded under the data dir, or at ``chroma_url``)."""
        from knowledge.embedding import make_embedder
        from knowledge.store import ChunkStore

        store = ChunkStore(settings, make_embedder(settings.embedding))
        return cls(settings, store, current_lexical_index(settings, store))

    def reload(self) -> None:
        """Take in a re-ingest: re-read the index from the store, in place.

        Everyone holding this knowledge base (the HTTP routes, the bots' assistant)
        answers from the new content at once; a question being answered finishes
        on the old index.
        """
        index = current_lexical_index(self.settings, self._store)
        retriever = Retriever(index, self._store)
        with self._lock:
            self._index, self._retriever = index, retriever

    def is_empty(self) -> bool:
        """True when nothing has been ingested yet."""
        return not self._index.chunks

    def search(
        self,
        query: str,
        k: int = 10,
        kind: str | None = None,
        doc_id: str | None = None,
        locality: str | None = None,
    ) -> list[Source]:
        """The ``k`` best passages for a query, best first."""
        with self._lock:
            return self._retriever.search(query, k, kind=kind, doc_id=doc_id, locality=locality)

    def ask(
        self,
        question: str,
        kind: str | None = None,
        doc_id: str | None = None,
        locality: str | None = None,
        trace: list | None = None,
    ) -> Answer:
        """Answer a question from the knowledge base, with its sources.

        ``trace``, when given, receives each stage's output as ``(stage, value)``.
        """
        with self._lock:
            return self._answerer.answer(
                question, self._retriever, trace=trace, kind=kind, doc_id=doc_id, locality=locality
            )

    def _chunks_by_doc(self) -> dict[str, list[Chunk]]:
        docs: dict[str, list[Chunk]] = {}
        for chunk in self._index.chunks:
            docs.setdefault(chunk.doc_id, []).append(chunk)
        return docs

    @staticmethod
    def _describe(chunks: list[Chunk]) -> dict:
        first = chunks[0]
        meta = first.metadata
        return {
            "doc_id": first.doc_id,
            "source": Path(meta.get("source", "")).name,
            "kind": first.kind,
            "title": first.title,
            "short_name": meta.get("short_name", "") or first.title,
            "doc_type": meta.get("doc_type", ""),
            "issuer": meta.get("issuer", ""),
            "locality": first.locality,
            "number": meta.get("number", ""),
            "date": meta.get("date", ""),
            "signer": meta.get("signer", ""),
            "chunks": len(chunks),
        }

    def documents(self) -> list[dict]:
        """Every document with its metadata and number of chunks."""
        return [self._describe(chunks) for chunks in self._chunks_by_doc().values()]

    def document(self, doc_id: str) -> dict | None:
        """One document's metadata and its section tree."""
        chunks = self._chunks_by_doc().get(doc_id)
        if not chunks:
            return None
        roots: list[dict] = []
        nodes: dict[str, dict] = {}
        for chunk in chunks:
            parts = chunk.section.split(SECTION_SEPARATOR)
            for depth in range(1, len(parts) + 1):
                path = SECTION_SEPARATOR.join(parts[:depth])
                if path in nodes:
                    continue
                node = {"path": path, "title": parts[depth - 1], "children": []}
                nodes[path] = node
                parent = nodes.get(SECTION_SEPARATOR.join(parts[: depth - 1]))
                (parent["children"] if parent else roots).append(node)
        return {**self._describe(chunks), "sections": roots}

    def reading(self, doc_id: str) -> list[dict] | None:
        """A document's sections in reading order, each ``{"path", "text"}``; the texts
        together hold the whole document, each line once (headings repeated in
        passages for context are left out)."""
        chunks = self._chunks_by_doc().get(doc_id)
        if not chunks:
            return None
        sections: list[dict] = []
        for chunk in chunks:
            if sections and sections[-1]["path"] == chunk.section:
                sections[-1]["text"] += "\n" + chunk.own_text()
            else:
                sections.append({"path": chunk.section, "text": chunk.own_text()})
        return sections

    def section_text(self, doc_id: str, path: str) -> str | None:
        """The text of a section and its subsections, in reading order."""
        chunks = self._chunks_by_doc().get(doc_id, [])
        parts = [
            chunk.text
            for chunk in chunks
            if chunk.section == path or chunk.section.startswith(path + SECTION_SEPARATOR)
        ]
        return "\n".join(parts) if parts else None
