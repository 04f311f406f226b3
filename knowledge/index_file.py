"""The lexical index on disk: one SQLite file, kept in step with the store document by document.

Each chunk is a row with its record and its index terms. Bringing the file in step
with the store (after an ingest here, or one made by another machine on a shared
Chroma server) rewrites only the documents whose chunks or source hash changed, so
adding one document to hundreds computes the terms of that document alone, and no
process ever holds the whole corpus to write it. The update is one transaction,
stamped with the store's generation: a reader sees the old index or the new one,
never a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

from knowledge.lexical import LexicalIndex, chunk_terms, fingerprint
from knowledge.records import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, position INTEGER NOT NULL,
    source TEXT NOT NULL, source_hash TEXT NOT NULL, doc_chunks TEXT NOT NULL,
    record TEXT NOT NULL, terms TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id, position);
"""
# Documents fetched from the store per read while updating: bounds the memory used.
DOCS_PER_READ = 20
_CODE = Path(__file__).parent


def terms_version() -> str:
    """What the stored terms were computed with: the tokenizer's code and vocabulary.

    A change to either (a new abbreviation, another folding) makes every stored term
    stale, so the file is rebuilt; nobody has to remember to bump a number.
    """
    digest = hashlib.sha256()
    for path in sorted([_CODE / "lexical.py", _CODE / "textnorm.py", *_CODE.glob("vocabulary*")]):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")  # readers go on while an ingest writes
    connection.executescript(SCHEMA)
    return connection


def read_meta(path: Path) -> dict[str, str]:
    """The file's generation, fingerprint and terms version (empty when there is no file)."""
    if not path.exists():
        return {}
    with closing(connect(path)) as connection:
        return dict(connection.execute("SELECT key, value FROM meta"))


def documents(path: Path) -> dict[str, dict]:
    """Per indexed document: its source path, source hash and number of chunks."""
    if not path.exists():
        return {}
    with closing(connect(path)) as connection:
        return _documents(connection)


def _documents(connection: sqlite3.Connection) -> dict[str, dict]:
    docs: dict[str, dict] = {}
    rows = connection.execute("SELECT doc_id, source, source_hash, doc_chunks, COUNT(*) FROM chunks GROUP BY doc_id")
    for doc_id, source, source_hash, doc_chunks, count in rows:
        # As in the store's inventory: a document with missing chunks has no hash.
        complete = doc_chunks == str(count)
        docs[doc_id] = {"source": source, "source_hash": source_hash if complete else "", "chunks": count}
    return docs


def inventory(path: Path) -> dict[str, dict]:
    """Per indexed document: its chunk ids, source path and source hash, the shape of
    ``ChunkStore.documents()``, read from this file (fast) instead of the store (slow)."""
    docs: dict[str, dict] = {}
    for doc_id, info in documents(path).items():
        docs[doc_id] = {"ids": set(), "source": info["source"], "source_hash": info["source_hash"]}
    if docs:
        with closing(connect(path)) as connection:
            for chunk_id, doc_id in connection.execute("SELECT id, doc_id FROM chunks"):
                docs[doc_id]["ids"].add(chunk_id)
    return docs


def _row(chunk: Chunk) -> tuple:
    meta = chunk.metadata
    return (
        chunk.id, chunk.doc_id, int(meta.get("position", 0) or 0), meta.get("source", ""),
        meta.get("source_hash", ""), meta.get("doc_chunks", ""),
        json.dumps(chunk.model_dump(), ensure_ascii=False), json.dumps(chunk_terms(chunk), ensure_ascii=False),
    )


def synchronize(path: Path, store, generation: str, changed: list[str] | None = None) -> None:
    """Bring the file in step with the store and stamp it with ``generation``.

    ``changed`` names the documents an ingest wrote or removed, when the file was in
    step with the store before it: only those are rewritten and the store is not
    inventoried (at 500 documents, reading all of Chroma's metadata takes seconds).
    """
    version = terms_version()
    with closing(connect(path)) as connection:
        connection.execute("BEGIN IMMEDIATE")  # one writer at a time; readers keep the old state
        try:
            meta = dict(connection.execute("SELECT key, value FROM meta"))
            if meta.get("terms_version") != version:
                connection.execute("DELETE FROM chunks")
                changed = None
            if changed is None:
                changed = _differences(connection, store.documents())
            for start in range(0, len(changed), DOCS_PER_READ):
                part = changed[start : start + DOCS_PER_READ]
                connection.executemany("DELETE FROM chunks WHERE doc_id = ?", [(doc_id,) for doc_id in part])
                connection.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", map(_row, store.chunks_of(part))
                )
            ids = [row[0] for row in connection.execute("SELECT id FROM chunks")]
            connection.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("generation", generation), ("fingerprint", fingerprint(ids)), ("terms_version", version)],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


def _differences(connection: sqlite3.Connection, stored: dict[str, dict]) -> list[str]:
    """Documents whose chunks or source hash differ between the file and the store."""
    local = _documents(connection)
    local_ids: dict[str, set[str]] = {}
    for chunk_id, doc_id in connection.execute("SELECT id, doc_id FROM chunks"):
        local_ids.setdefault(doc_id, set()).add(chunk_id)
    removed = set(local) - set(stored)
    differing = {
        doc_id
        for doc_id, info in stored.items()
        if doc_id not in local
        or local[doc_id]["source_hash"] != info["source_hash"]
        or local_ids[doc_id] != info["ids"]
    }
    return sorted(removed | differing)


def load(path: Path) -> tuple[LexicalIndex, dict[str, str]] | None:
    """The index held by the file and its meta, read in one snapshot; None without a file."""
    if not path.exists():
        return None
    with closing(connect(path)) as connection:
        connection.execute("BEGIN")
        meta = dict(connection.execute("SELECT key, value FROM meta"))
        if meta.get("terms_version") != terms_version():
            return None
        chunks, terms = [], []
        for record, chunk_terms_ in connection.execute("SELECT record, terms FROM chunks ORDER BY doc_id, position"):
            chunks.append(Chunk.model_construct(**json.loads(record)))  # written by _row(): already valid
            terms.append(Counter(json.loads(chunk_terms_)))
        connection.execute("COMMIT")
    return LexicalIndex(chunks, terms, meta.get("fingerprint", "")), meta
