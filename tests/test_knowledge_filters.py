"""Search filters: kind, document, type, issuer, locality; a province takes in its communes."""

from __future__ import annotations

import shutil

import pytest

from fixtures_knowledge import PACKAGE_KNOWLEDGE_DIR, PLANS_DIR
from hocvuso.settings import load_settings
from ingest.pipeline import ingest_paths
from knowledge.base import KnowledgeBase
from knowledge.filters import DocumentFilter, Filters

COMMUNE_HEADER = "ỦY BAN NHÂN DÂN \n\nXÃ NGHĨA TRUNG"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("filters")
    docs = root / "docs"
    docs.mkdir()
    for name in ("tinh-nghe-an.txt", "tinh-dong-thap.txt"):
        shutil.copy(PLANS_DIR / name, docs / name)
    shutil.copy(PACKAGE_KNOWLEDGE_DIR / "laws" / "nghi-quyet-57-nq-tw-2024.txt", docs)
    # A commune whose header names its province, above the commune's own body.
    commune = (PLANS_DIR / "xa-nghia-trung.txt").read_text(encoding="utf-8")
    assert COMMUNE_HEADER in commune
    (docs / "xa-nghia-trung.txt").write_text(
        commune.replace(COMMUNE_HEADER, "ĐẢNG BỘ TỈNH NGHỆ AN \n\n" + COMMUNE_HEADER, 1), encoding="utf-8"
    )
    settings = load_settings(data_dir=root / "data", embedding={"backend": "none"})
    assert ingest_paths(settings, [docs], progress=False).ok
    return KnowledgeBase.open(settings)


def docs_found(kb, **filters) -> set[str]:
    return {source.doc_id for source in kb.search("chuyển đổi số", k=50, **filters)}


def test_a_province_takes_in_the_communes_that_name_it(kb):
    commune = next(doc for doc in kb.documents() if doc["doc_id"] == "xa-nghia-trung")
    assert commune["locality"] == "xã Nghĩa Trung"
    assert docs_found(kb, locality="Nghệ An") == {"tinh-nghe-an", "xa-nghia-trung"}
    assert docs_found(kb, locality="tinh nghe an") == {"tinh-nghe-an", "xa-nghia-trung"}
    assert docs_found(kb, locality="xã Nghĩa Trung") == {"xa-nghia-trung"}
    assert docs_found(kb, locality="Đồng Tháp") == {"tinh-dong-thap"}


def test_type_issuer_and_document_filters(kb):
    assert docs_found(kb, doc_type="Nghị quyết") == {"nghi-quyet-57-nq-tw-2024"}
    assert docs_found(kb, doc_type="ke hoach") == {"tinh-nghe-an", "tinh-dong-thap", "xa-nghia-trung"}
    assert docs_found(kb, issuer="Ủy ban nhân dân tỉnh Đồng Tháp") == {"tinh-dong-thap"}
    assert docs_found(kb, doc_type="Kế hoạch", locality="Nghệ An", doc_id="tinh-nghe-an") == {"tinh-nghe-an"}
    assert docs_found(kb, doc_type="Luật") == set()
    answer = kb.ask("Ai ký kế hoạch?", locality="Đồng Tháp")
    assert answer.sources and {source.doc_id for source in answer.sources} == {"tinh-dong-thap"}


def test_filters_are_decided_per_document_and_remembered(kb):
    chunks = kb._index.chunks
    documents = DocumentFilter(chunks)
    assert documents.allowed(Filters()) is None
    first = documents.allowed(Filters(locality="Nghệ An"))
    assert first is documents.allowed(Filters(locality="Nghệ An"))
    assert first == {i for i, chunk in enumerate(chunks) if Filters(locality="Nghệ An").matches(chunk)}
