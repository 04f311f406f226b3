"""The lexical index file: the same index as one built from the store, updated per document."""

from __future__ import annotations

import shutil

import pytest

from fixtures_knowledge import PLANS_DIR
from hocvuso.settings import load_settings
from ingest.pipeline import ingest_paths
from knowledge import index_file
from knowledge.base import KnowledgeBase, index_path
from knowledge.embedding import NoEmbedder
from knowledge.lexical import LexicalIndex, query_terms
from knowledge.store import ChunkStore


@pytest.fixture
def workspace(tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    for name in ("tinh-nghe-an.txt", "xa-nghia-trung.txt"):
        shutil.copy(PLANS_DIR / name, plans / name)
    return plans, load_settings(data_dir=tmp_path / "data", embedding={"backend": "none"})


def saved_index(settings) -> LexicalIndex:
    index, _ = index_file.load(index_path(settings, "none"))
    return index


def test_the_saved_index_scores_as_one_built_from_the_store(workspace):
    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    built = LexicalIndex.build(ChunkStore(settings, NoEmbedder()).chunks())
    saved = saved_index(settings)
    assert [c.id for c in saved.chunks] == [c.id for c in built.chunks]
    assert saved.fingerprint == built.fingerprint
    for question in ("Ai ký kế hoạch của tỉnh Nghệ An?", "thoi han bao cao cua xa nghia trung", "CĐS là gì"):
        terms = query_terms(question)
        assert saved.scores(terms) == built.scores(terms)


def test_adding_a_document_computes_the_terms_of_that_document_only(workspace, monkeypatch):
    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    indexed: list[str] = []
    real = index_file.chunk_terms
    monkeypatch.setattr(index_file, "chunk_terms", lambda chunk: indexed.append(chunk.doc_id) or real(chunk))
    shutil.copy(PLANS_DIR / "tinh-dong-thap.txt", plans)
    report = ingest_paths(settings, [plans], progress=False)
    assert report.added == ["tinh-dong-thap"]
    assert set(indexed) == {"tinh-dong-thap"}
    assert {doc["doc_id"] for doc in KnowledgeBase.open(settings).documents()} == {
        "tinh-dong-thap", "tinh-nghe-an", "xa-nghia-trung"}

    (plans / "tinh-nghe-an.txt").unlink()
    indexed.clear()
    assert ingest_paths(settings, [plans], progress=False).removed == ["tinh-nghe-an"]
    assert indexed == []
    assert {c.doc_id for c in saved_index(settings).chunks} == {"tinh-dong-thap", "xa-nghia-trung"}


def test_new_tokenizer_rules_rebuild_the_index(workspace, monkeypatch):
    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    path = index_path(settings, "none")
    assert index_file.load(path) is not None
    monkeypatch.setattr(index_file, "terms_version", lambda: "another")
    assert index_file.load(path) is None  # stale terms are never served
    report = ingest_paths(settings, [plans], progress=False)
    assert sorted(report.unchanged) == ["tinh-nghe-an", "xa-nghia-trung"]
    assert index_file.read_meta(path)["terms_version"] == "another"
    assert len(saved_index(settings).chunks) == report.total_chunks


def test_an_unchanged_store_is_opened_without_reading_it(workspace, monkeypatch):
    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    monkeypatch.setattr(ChunkStore, "documents", lambda self: pytest.fail("the store was read"))
    monkeypatch.setattr(ChunkStore, "ids", lambda self: pytest.fail("the store was read"))
    assert KnowledgeBase.open(settings).ask("Ai ký kế hoạch của tỉnh Nghệ An?").found


def test_a_crashed_ingest_is_taken_in_by_the_next_run(workspace):
    from ingest.chunking import chunk_document
    from ingest.pipeline import read_document, source_hash

    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    # A run that wrote a document to the store and died before updating the index.
    path = plans / "tinh-dong-thap.txt"
    shutil.copy(PLANS_DIR / path.name, path)
    document = read_document(path)
    document.metadata.update(source=str(path.resolve()), source_hash=source_hash(path.read_bytes()))
    chunks = chunk_document(document)
    store = ChunkStore(settings, NoEmbedder())
    store.upsert(chunks, store.embedder.embed_passages([c.text for c in chunks]))
    (settings.data_dir / "index" / "ingest-none.pending").touch()

    report = ingest_paths(settings, [plans], progress=False)
    assert sorted(report.unchanged) == ["tinh-dong-thap", "tinh-nghe-an", "xa-nghia-trung"]
    assert {c.doc_id for c in saved_index(settings).chunks} == {"tinh-dong-thap", "tinh-nghe-an", "xa-nghia-trung"}
    assert "Trần Trí Quang" in KnowledgeBase.open(settings).ask("Ai ký kế hoạch của tỉnh Đồng Tháp?").answer
