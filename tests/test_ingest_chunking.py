"""Structure, metadata and chunks of the real plans, and of a lesson."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_knowledge import LESSON, PLANS_DIR
from ingest.chunking import MAX_CHARS, chunk_document
from ingest.pipeline import read_document


@pytest.fixture(scope="module")
def plan_chunks():
    """Chunks of every real plan, by document id."""
    return {path.stem: chunk_document(read_document(path)) for path in sorted(PLANS_DIR.glob("*.txt"))}


def section_of(chunks, passage: str) -> str:
    matches = [chunk.section for chunk in chunks if passage in chunk.text]
    assert matches, f"không thấy đoạn {passage!r}"
    return matches[0]


@pytest.mark.parametrize(
    ("doc_id", "passage", "section"),
    [
        (
            "tinh-nghe-an",
            "Xây dựng tầm nhìn, chiến lược lâu dài",
            "III. TIÊU CHÍ THI ĐUA VÀ HÌNH THỨC KHEN THƯỞNG > 1. Tiêu chí thi đua > c) Đối với các doanh nghiệp",
        ),
        (
            "tinh-nghe-an",
            "+ Cờ Thi đua của Chính phủ;",
            "III. TIÊU CHÍ THI ĐUA VÀ HÌNH THỨC KHEN THƯỞNG > 2. Hình thức và tiêu chuẩn khen thưởng"
            " > b) Khen thưởng tổng kết > Hình thức khen thưởng",
        ),
        (
            "tinh-ha-tinh",
            "- Giấy khen của Thủ trưởng các cơ quan, đơn vị.",
            "III. TIÊU CHÍ THI ĐUA VÀ HÌNH THỨC KHEN THƯỞNG > 2. Hình thức và tiêu chuẩn khen thưởng"
            " > 2.1. Hình thức khen thưởng > b) Khen thưởng sơ kết",
        ),
        (
            "xa-nghia-trung",
            "Tăng cường công tác tuyên truyền, đưa tin, bài, hình ảnh",
            "V. THỜI GIAN VÀ TRÁCH NHIỆM THỰC HIỆN > 2. Trách nhiệm thực hiện > 2.3. Trung tâm Dịch vụ tổng hợp",
        ),
        ("tinh-dong-thap", "Quý IV/2027", "IV. THỜI GIAN THỰC HIỆN > 1. Giai đoạn 1 (năm 2025 - 2027)"),
        ("xa-nghia-trung", "Căn cứ Quyết định số 923/QĐ-TTg", "Phần mở đầu"),
        ("tinh-nghe-an", "Bùi Đình Long", "Người ký"),
    ],
)
def test_known_passage_has_its_section_path(plan_chunks, doc_id, passage, section):
    assert section_of(plan_chunks[doc_id], passage) == section


def test_chunks_are_bounded_and_ids_deterministic(plan_chunks):
    again = chunk_document(read_document(PLANS_DIR / "tinh-nghe-an.txt"))
    assert [c.id for c in again] == [c.id for c in plan_chunks["tinh-nghe-an"]]
    for chunks in plan_chunks.values():
        assert len({c.id for c in chunks}) == len(chunks)
        assert all(len(c.text) <= MAX_CHARS + 250 for c in chunks)


def test_a_long_section_is_cut_between_items_and_each_piece_keeps_its_heading(plan_chunks):
    pieces = [c for c in plan_chunks["tinh-nghe-an"] if c.section.endswith("a) Đối với các sở, ngành, địa phương")]
    assert len(pieces) > 1
    for number, piece in enumerate(pieces):
        lines = piece.text.split("\n")
        # The first piece also opens with the headings above that have no text of their own.
        start = lines.index("a) Đối với các sở, ngành, địa phương")
        assert start == 0 or (number == 0 and lines[:start] == ["III. TIÊU CHÍ THI ĐUA VÀ HÌNH THỨC KHEN THƯỞNG", "1. Tiêu chí thi đua"])
        assert all(line.startswith("- ") for line in lines[start + 1 :])


def test_plan_metadata():
    nghe_an = read_document(PLANS_DIR / "tinh-nghe-an.txt").metadata
    assert nghe_an["title"].startswith("Kế hoạch tổ chức thực hiện Phong trào thi đua")
    assert nghe_an["title"].endswith("trên địa bàn tỉnh Nghệ An")
    assert nghe_an["locality"] == "tỉnh Nghệ An"
    assert nghe_an["issuer"] == "Ủy ban nhân dân tỉnh Nghệ An"
    assert nghe_an["signer"] == "Bùi Đình Long"
    nghia_trung = read_document(PLANS_DIR / "xa-nghia-trung.txt").metadata
    assert nghia_trung["issuer"] == "Ủy ban nhân dân xã Nghĩa Trung"
    assert nghia_trung["locality"] == "xã Nghĩa Trung"
    # The number is left blank in the source ("Số:      /KH-UBND"): no number, not "/KH-UBND".
    assert (nghia_trung["number"], nghia_trung["date"]) == ("", "1/2026")
    office = read_document(PLANS_DIR / "van-phong-dieu-phoi-nong-thon-moi-ha-tinh.txt").metadata
    assert office["locality"] == "tỉnh Hà Tĩnh"
    assert office["issuer"] == "Văn phòng Điều phối nông thôn mới tỉnh Hà Tĩnh"


def test_lesson_is_cut_along_its_markdown_headings(tmp_path: Path):
    path = tmp_path / "lessons" / "90-thu-nghiem.md"
    path.parent.mkdir()
    path.write_text(LESSON, encoding="utf-8")
    document = read_document(path)
    chunks = chunk_document(document)
    assert document.kind == "lesson"
    assert document.metadata["title"] == "Giữ an toàn mã OTP"
    assert document.metadata["topic"] == "lua-dao"
    assert [c.section for c in chunks] == [
        "Mục tiêu",
        "Các bước > 1. Nhận biết mã OTP",
        "Các bước > 2. Không đọc mã OTP cho người lạ",
        "Tóm tắt",
    ]
    assert all(c.kind == "lesson" for c in chunks)
    assert "**" not in chunks[0].text and "mã OTP là gì" in chunks[0].text
