"""What the store holds per document, read from chunk metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def inventory(rows: Iterable[tuple[str, Mapping]]) -> dict[str, dict]:
    """Per document: its chunk ids, source path and source hash, from ``(id, metadata)`` rows.

    The hash is empty when the document's chunks are incomplete or mixed, as an
    interrupted ingest leaves them, so the next ingest writes it again.
    """
    docs: dict[str, dict] = {}
    for chunk_id, meta in rows:
        doc = docs.setdefault(
            str(meta.get("doc_id")),
            {"ids": set(), "source": meta.get("source", ""), "hashes": set(), "expected": set()},
        )
        doc["ids"].add(chunk_id)
        doc["hashes"].add(meta.get("source_hash", ""))
        doc["expected"].add(str(meta.get("doc_chunks", "")))
    for doc in docs.values():
        hashes, expected = doc.pop("hashes"), doc.pop("expected")
        complete = len(hashes) == 1 and expected == {str(len(doc["ids"]))}
        doc["source_hash"] = hashes.pop() if complete else ""
    return docs
