"""The Chroma collection that holds every chunk with its vector and metadata.

Embedded ``PersistentClient`` under ``settings.chroma_dir`` by default, ``HttpClient``
when ``settings.chroma_url`` is set. Vectors always come from our own embedder:
Chroma's default embedding function (which downloads a model) is never used.
"""

from __future__ import annotations

from urllib.parse import urlparse

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings

from knowledge.embedding import Embedder
from knowledge.errors import EmbeddingError, StoreError
from knowledge.inventory import inventory
from knowledge.records import Chunk

COLLECTION_PREFIX = "hocvuso-chunks-"
# Chroma metadata keys that belong to the Chunk record itself, not to its metadata dict.
_CHUNK_FIELDS = ("doc_id", "kind", "title", "section", "locality")


def collection_name(embedder_key: str) -> str:
    """The collection of the vectors of one embedder."""
    return COLLECTION_PREFIX + embedder_key


class ChromaEmbedding(EmbeddingFunction[Documents]):
    """Chroma's view of our embedder, so Chroma never falls back to its default."""

    def __init__(self, embedder: Embedder | None = None, key: str = ""):
        self._embedder = embedder
        self._key = embedder.key if embedder else key

    def __call__(self, input: Documents) -> Embeddings:
        if self._embedder is None:
            raise EmbeddingError("mở kho qua hocvuso để có bộ nhúng")
        return list(self._embedder.embed_passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        if self._embedder is None:
            raise EmbeddingError("mở kho qua hocvuso để có bộ nhúng")
        return [self._embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "hocvuso"

    def default_space(self) -> str:
        return "cosine"

    def get_config(self) -> dict:
        return {"key": self._key}

    @staticmethod
    def build_from_config(config: dict) -> ChromaEmbedding:
        return ChromaEmbedding(key=config.get("key", ""))


def open_client(settings):
    """A Chroma client: HTTP when ``chroma_url`` is set, else embedded under the data dir."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _metadata(chunk: Chunk) -> dict:
    return {
        **chunk.metadata,
        "doc_id": chunk.doc_id,
        "kind": chunk.kind,
        "title": chunk.title,
        "section": chunk.section,
        "locality": chunk.locality,
    }


def _chunk(chunk_id: str, text: str, metadata: dict) -> Chunk:
    return Chunk(
        id=chunk_id,
        text=text,
        **{name: str(metadata.get(name, "")) for name in _CHUNK_FIELDS},
        metadata={k: str(v) for k, v in metadata.items() if k not in _CHUNK_FIELDS},
    )


class ChunkStore:
    """Chunks of all documents in one Chroma collection per embedder."""

    def __init__(self, settings, embedder: Embedder):
        self.embedder = embedder
        where = settings.chroma_url or settings.chroma_dir
        try:
            self._client = open_client(settings)
            self._collection = self._client.get_or_create_collection(
                name=collection_name(embedder.key),
                embedding_function=ChromaEmbedding(embedder),
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as error:  # chromadb raises plain exceptions for I/O and connection errors
            raise StoreError(f"không mở được kho Chroma tại {where}: {error}") from error

    def generation(self) -> str:
        """The name of the store's current content, changed by every ingest that wrote to it.

        Kept in the collection's metadata, so every process and machine sharing the
        store (embedded or a Chroma server) reads the same value; it costs one small
        metadata read.
        """
        collection = self._client.get_collection(
            name=self._collection.name, embedding_function=ChromaEmbedding(self.embedder)
        )
        return str((collection.metadata or {}).get("generation", ""))

    def set_generation(self, generation: str) -> None:
        """Announce new content to every process reading the store."""
        self._collection.modify(metadata={"generation": generation})

    def max_batch(self) -> int:
        """The most chunks one write may carry."""
        return self._client.get_max_batch_size()

    def count(self) -> int:
        """Number of stored chunks."""
        return self._collection.count()

    def ids(self) -> list[str]:
        """Ids of all stored chunks."""
        return self._collection.get(include=[])["ids"]

    def documents(self) -> dict[str, dict]:
        """Per stored document: its chunk ids, source path and source hash."""
        result = self._collection.get(include=["metadatas"])
        return inventory(zip(result["ids"], result["metadatas"]))

    def chunks(self) -> list[Chunk]:
        """Every stored chunk, in document and reading order."""
        result = self._collection.get(include=["documents", "metadatas"])
        chunks = [
            _chunk(chunk_id, text, meta)
            for chunk_id, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
        ]
        return sorted(chunks, key=lambda c: (c.doc_id, int(c.metadata.get("position", 0))))

    def chunks_of(self, doc_ids: list[str]) -> list[Chunk]:
        """The stored chunks of some documents."""
        if not doc_ids:
            return []
        where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        result = self._collection.get(where=where, include=["documents", "metadatas"])
        return [
            _chunk(chunk_id, text, meta)
            for chunk_id, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
        ]

    def upsert(self, chunks: list[Chunk], vectors) -> None:
        """Add or replace chunks with their vectors."""
        if chunks:
            self._collection.upsert(
                ids=[chunk.id for chunk in chunks],
                embeddings=[list(map(float, vector)) for vector in vectors],
                documents=[chunk.text for chunk in chunks],
                metadatas=[_metadata(chunk) for chunk in chunks],
            )

    def update_metadata(self, chunks: list[Chunk]) -> None:
        """Rewrite the metadata of stored chunks, keeping their vectors."""
        if chunks:
            self._collection.update(
                ids=[chunk.id for chunk in chunks], metadatas=[_metadata(chunk) for chunk in chunks]
            )

    def delete(self, ids: list[str]) -> None:
        """Remove chunks by id."""
        if ids:
            self._collection.delete(ids=list(ids))

    def nearest(self, vector, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the ``k`` chunks nearest to ``vector``."""
        k = min(k, self.count())
        if k <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[list(map(float, vector))],
            n_results=k,
            where=where or None,
            include=["distances"],
        )
        return [(i, 1.0 - distance) for i, distance in zip(result["ids"][0], result["distances"][0])]
