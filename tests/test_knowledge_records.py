"""The records passed between the knowledge base and its users: citations of an answer."""

from __future__ import annotations

from knowledge.records import Answer, Source


def source(doc_id: str, section: str, score: float) -> Source:
    return Source(doc_id=doc_id, title=f"Kế hoạch {doc_id}", section=section, kind="plan", text="...", score=score)


def test_citations_name_each_section_once_best_first_and_keep_the_sources():
    sources = [
        source("tinh-nghe-an", "Phần mở đầu", 0.9),
        source("tinh-nghe-an", "Phần mở đầu", 0.8),  # a second passage of the same section
        source("tinh-ha-tinh", "Phần mở đầu", 0.7),  # the same heading in another document
        source("tinh-nghe-an", "II. NỘI DUNG", 0.6),
        source("tinh-dong-thap", "Người ký", 0.5),
    ]
    answer = Answer(answer="...", found=True, sources=sources)

    assert [(s.doc_id, s.section) for s in answer.citations(3)] == [
        ("tinh-nghe-an", "Phần mở đầu"),
        ("tinh-ha-tinh", "Phần mở đầu"),
        ("tinh-nghe-an", "II. NỘI DUNG"),
    ]
    assert len(answer.citations(10)) == 4
    assert answer.citations(0) == [] and Answer(answer="", found=False).citations(3) == []
    # The JSON contract still carries every retrieved passage.
    assert answer.model_dump()["sources"] == [s.model_dump() for s in sources]
    assert set(answer.model_dump()) == {"answer", "found", "sources", "category"}


def test_two_passages_cited_alike_are_named_once():
    def source(section: str) -> Source:
        return Source(doc_id="luat", title="Luật Mẫu", section=section, kind="plan", text="x", score=1.0,
                      citation="Luật Mẫu 2023, Điều 2")

    answer = Answer(answer="x", found=True, sources=[source("Điều 2. Giải thích"), source("Điều 2. Giải thích > 3.")])
    assert len(answer.citations(3)) == 1
