"""Ingest of legal and administrative documents: nothing lost, structure, metadata.

Runs on every shipped document and on the development corpus in ``../shared/corpus``
(beside the repository, as in CI; skipped with the reason when it is absent).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR
from ingest.chunking import chunk_document
from ingest.conservation import check
from ingest.pipeline import ingest_paths, read_document

# ../shared beside the repository (as in CI); HOCVUSO_TEST_SHARED_DIR points elsewhere.
SHARED = Path(os.environ.get("HOCVUSO_TEST_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")
SHARED_CORPUS = SHARED / "corpus"
NO_SHARED = f"không có kho tài liệu dùng chung {SHARED_CORPUS} (CI đặt ../shared cạnh kho mã)"


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".txt", ".md") and p.stem.upper() != "README")


SHIPPED = [p for name in ("plans", "laws", "lessons") for p in _files(PACKAGE_KNOWLEDGE_DIR / name)]
SHARED_FILES = [p for name in ("plans", "laws") for p in _files(SHARED_CORPUS / name)]
LAWS = SHARED_CORPUS / "laws"
needs_shared = pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason=NO_SHARED)


def _chunks(path: Path):
    document = read_document(path)
    return document, chunk_document(document)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_line_of_a_shipped_document_is_in_exactly_one_chunk(path):
    document, chunks = _chunks(path)
    result = check(document.lines, chunks)
    assert result.ok, result.warning()
    assert result.lines == len(document.lines) > 10


@needs_shared
@pytest.mark.parametrize("name", [f"{p.parent.name}/{p.name}" for p in SHARED_FILES] or ["(none)"])
def test_every_line_of_the_shared_corpus_is_in_exactly_one_chunk(name):
    document, chunks = _chunks(SHARED_CORPUS / name)
    result = check(document.lines, chunks)
    assert result.ok, result.warning()


def test_the_check_sees_a_lost_and_a_repeated_line():
    document, chunks = _chunks(PACKAGE_KNOWLEDGE_DIR / "plans" / "xa-nghia-trung.txt")
    lost = check(document.lines, chunks[:3] + chunks[4:])
    assert not lost.ok and lost.missing and lost.lost_chars
    doubled = check(document.lines, chunks + chunks[4:5])
    assert not doubled.ok and doubled.extra_chars and "lặp" in doubled.warning()


def test_a_short_item_with_nothing_under_it_is_kept(tmp_path):
    source = tmp_path / "nghi-dinh-mau.txt"
    source.write_text(
        "CHÍNH PHỦ\nSố: 01/2024/NĐ-CP\nHà Nội, ngày 02 tháng 01 năm 2024\n\nNGHỊ ĐỊNH\nQUY ĐỊNH MẪU\n\n"
        "Chương I\nQUY ĐỊNH CHUNG\n\n"
        "Điều 1. Nghỉ hằng năm\n1. Người lao động được nghỉ hằng năm như sau:\n"
        "a) 12 ngày làm việc;\nb) 14 ngày làm việc.\n2. Khoản hai.\n\n"
        "Điều 2. Hiệu lực\nNghị định này có hiệu lực từ ngày ký.\n",
        encoding="utf-8",
    )
    document, chunks = _chunks(source)
    assert check(document.lines, chunks).ok
    article = next(c for c in chunks if "a) 12 ngày làm việc;" in c.text)
    assert article.section == "Chương I > Điều 1. Nghỉ hằng năm"
    assert [c.section for c in chunks if "Điều 2. Hiệu lực" in c.text] == ["Chương I > Điều 2. Hiệu lực"]


@needs_shared
@pytest.mark.parametrize("name", [p.name for p in _files(LAWS)] or ["(none)"])
def test_every_article_is_a_section_of_its_own(name):
    source = (LAWS / name).read_text(encoding="utf-8")
    articles = re.findall(r"(?m)^Điều (\d+)\.", source)
    document, chunks = _chunks(LAWS / name)
    seen = set()
    for chunk in chunks:
        for number in re.findall(r"(?m)^Điều (\d+)\.", chunk.own_text()):
            # The article's heading sits in a chunk of that article, never in the one before.
            assert f"Điều {number}." in chunk.section, (chunk.section, number)
            seen.add(number)
        labels = [part for part in chunk.section.split(" > ") if part.startswith("Điều ")]
        assert len(labels) <= 1
    if name.startswith("nghi-quyet"):
        assert not articles  # NQ 57 is organised in parts I–IV
    else:
        assert len(articles) > 40 and seen == set(articles)


@needs_shared
def test_section_paths_read_like_citations():
    _, chunks = _chunks(LAWS / "luat-giao-dich-dien-tu-2023.txt")
    paths = {c.section for c in chunks}
    assert "Chương II > Mục 1 > Điều 7. Hình thức thể hiện của thông điệp dữ liệu" in paths
    assert "Chương VIII > Điều 53. Quy định chuyển tiếp > 3." in paths
    assert all(p.split(" > ")[0].startswith(("Chương ", "Phần ", "Người ký")) for p in paths)
    _, decree = _chunks(LAWS / "nghi-dinh-13-2023-nd-cp-bao-ve-du-lieu-ca-nhan.txt")
    # The decree's text has no Chương: its articles are at the top.
    assert {c.section.split(" > ")[0].split(" ")[0] for c in decree} == {"Phần", "Điều"}
    assert "Điều 2. Giải thích từ ngữ > 3." in {c.section for c in decree}


def test_the_resolution_is_organised_in_parts():
    _, chunks = _chunks(PACKAGE_KNOWLEDGE_DIR / "laws" / "nghi-quyet-57-nq-tw-2024.txt")
    tops = list(dict.fromkeys(c.section.split(" > ")[0] for c in chunks))
    assert tops == [
        "Phần mở đầu", "I- QUAN ĐIỂM CHỈ ĐẠO", "II- MỤC TIÊU", "III- NHIỆM VỤ, GIẢI PHÁP",
        "IV- TỔ CHỨC THỰC HIỆN", "Phần kết", "Người ký",
    ]
    assert "II- MỤC TIÊU > 1. Đến năm 2030" in {c.section for c in chunks}


def test_every_chunk_fits_a_passage():
    for path in SHIPPED + [p for p in SHARED_FILES if p.parent.name == "laws"]:
        _, chunks = _chunks(path)
        assert max(len(c.text) for c in chunks) <= 1400, path.name


# (type, number, date, issuer, signer, title, short name) as the documents give them.
LEGAL = {
    "luat-an-ninh-mang-2018": ("Luật", "24/2018/QH14", "12/6/2018", "Quốc hội", "", "Luật An ninh mạng", "Luật An ninh mạng 2018"),
    "luat-can-cuoc-2023": ("Luật", "26/2023/QH15", "27/11/2023", "Quốc hội", "", "Luật Căn cước", "Luật Căn cước 2023"),
    "luat-giao-dich-dien-tu-2023": (
        "Luật", "20/2023/QH15", "22/6/2023", "Quốc hội", "Vương Đình Huệ", "Luật Giao dịch điện tử",
        "Luật Giao dịch điện tử 2023",
    ),
    "luat-vien-thong-2023": (
        "Luật", "24/2023/QH15", "24/11/2023", "Quốc hội", "Vương Đình Huệ", "Luật Viễn thông", "Luật Viễn thông 2023",
    ),
    "nghi-dinh-13-2023-nd-cp-bao-ve-du-lieu-ca-nhan": (
        "Nghị định", "13/2023/NĐ-CP", "17/4/2023", "Chính phủ", "", "Nghị định bảo vệ dữ liệu cá nhân",
        "Nghị định 13/2023/NĐ-CP",
    ),
    "nghi-quyet-57-nq-tw-2024": (
        "Nghị quyết", "57-NQ/TW", "22/12/2024", "Bộ Chính trị", "Tô Lâm",
        "Nghị quyết về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
        "Nghị quyết 57-NQ/TW",
    ),
}
FIELDS = ("doc_type", "number", "date", "issuer", "signer", "title", "short_name")


@needs_shared
@pytest.mark.parametrize("doc_id", sorted(LEGAL))
def test_legal_metadata(doc_id):
    metadata = read_document(LAWS / f"{doc_id}.txt").metadata
    assert tuple(metadata[name] for name in FIELDS) == LEGAL[doc_id]
    assert metadata["locality"] == ""  # national documents belong to no locality


# Only the Nghĩa Trung plan has its header; the others start at their title, so their
# number and date stay empty rather than guessed.
PLANS = {
    "tinh-dong-thap": ("Kế hoạch", "", "", "Ủy ban nhân dân tỉnh Đồng Tháp", "tỉnh Đồng Tháp", "Kế hoạch tỉnh Đồng Tháp"),
    "tinh-ha-tinh": ("Kế hoạch", "", "", "Ủy ban nhân dân tỉnh Hà Tĩnh", "tỉnh Hà Tĩnh", "Kế hoạch tỉnh Hà Tĩnh"),
    "tinh-nghe-an": ("Kế hoạch", "", "", "Ủy ban nhân dân tỉnh Nghệ An", "tỉnh Nghệ An", "Kế hoạch tỉnh Nghệ An"),
    "van-phong-dieu-phoi-nong-thon-moi-ha-tinh": (
        "Kế hoạch", "", "", "Văn phòng Điều phối nông thôn mới tỉnh Hà Tĩnh", "tỉnh Hà Tĩnh",
        "Kế hoạch Văn phòng Điều phối nông thôn mới tỉnh Hà Tĩnh",
    ),
    "xa-nghia-trung": ("Kế hoạch", "", "1/2026", "Ủy ban nhân dân xã Nghĩa Trung", "xã Nghĩa Trung", "Kế hoạch xã Nghĩa Trung"),
}


@pytest.mark.parametrize("doc_id", sorted(PLANS))
def test_plan_metadata_and_titles(doc_id):
    document = read_document(PACKAGE_KNOWLEDGE_DIR / "plans" / f"{doc_id}.txt")
    metadata = document.metadata
    fields = ("doc_type", "number", "date", "issuer", "locality", "short_name")
    assert tuple(metadata[name] for name in fields) == PLANS[doc_id]
    # The full title stays the title: questions name the place or the subject in it.
    assert metadata["title"].startswith("Kế hoạch ") and len(metadata["title"]) > 60
    assert document.kind == "plan"


def test_header_metadata_of_other_document_types(tmp_path):
    cases = {
        "qd.txt": ("THỦ TƯỚNG CHÍNH PHỦ\nSố: 923/QĐ-TTg\nHà Nội, ngày 14 tháng 5 năm 2025\n\nQUYẾT ĐỊNH\n"
                   "Ban hành Kế hoạch triển khai Phong trào thi đua\n\nĐiều 1. Ban hành kèm theo Quyết định này Kế hoạch.\n",
                   ("Quyết định", "923/QĐ-TTg", "14/5/2025", "Thủ tướng Chính phủ", "", "Quyết định 923/QĐ-TTg")),
        "cv.txt": ("UBND TỈNH NGHỆ AN\nSỞ NỘI VỤ\nSố: 2228/SNV-TĐKT\nV/v hướng dẫn khen thưởng\n"
                   "Nghệ An, ngày 02 tháng 6 năm 2025\n\nKính gửi: Các sở, ban, ngành.\nSở Nội vụ hướng dẫn như sau.\n",
                   ("Công văn", "2228/SNV-TĐKT", "2/6/2025", None, None, None)),
        "tt.txt": ("BỘ THÔNG TIN VÀ TRUYỀN THÔNG\nSố: 01/2024/TT-BTTTT\nHà Nội, ngày 05 tháng 3 năm 2024\n\nTHÔNG TƯ\n"
                   "Quy định mẫu\n\nĐiều 1. Phạm vi\nThông tư này quy định mẫu.\n",
                   ("Thông tư", "01/2024/TT-BTTTT", "5/3/2024", None, "", "Thông tư 01/2024/TT-BTTTT")),
        "ct.txt": ("THỦ TƯỚNG CHÍNH PHỦ\nSố: 07/CT-TTg\nHà Nội, ngày 01 tháng 2 năm 2024\n\nCHỈ THỊ\nVề việc mẫu\n\n"
                   "1. Các bộ, ngành thực hiện.\n",
                   ("Chỉ thị", "07/CT-TTg", "1/2/2024", "Thủ tướng Chính phủ", "", "Chỉ thị 07/CT-TTg")),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        document = read_document(tmp_path / name)
        metadata = document.metadata
        got = (metadata["doc_type"], metadata["number"], metadata["date"], metadata["issuer"],
               metadata["locality"], metadata["short_name"])
        assert all(e is None or g == e for g, e in zip(got, expected)), (name, got)
        assert check(document.lines, chunk_document(document)).ok


def test_no_junk_locality(tmp_path):
    # Lower-case words after "tỉnh" or "xã" are not a place ("tỉnh đồng ý để").
    source = tmp_path / "ke-hoach.txt"
    source.write_text(
        "KẾ HOẠCH\nTriển khai chuyển đổi số\nCăn cứ ý kiến của các thành viên, UBND tỉnh đồng ý để triển khai.\n"
        "I. MỤC ĐÍCH\n1. Mục đích\nPhát triển xã hội số Việt Nam.\n",
        encoding="utf-8",
    )
    assert read_document(source).metadata["locality"] == ""


def test_ingest_reports_conservation_and_still_ingests_a_broken_document(tmp_path, monkeypatch):
    from hocvuso.settings import load_settings

    settings = load_settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path, embedding={"backend": "none"})
    plan = PACKAGE_KNOWLEDGE_DIR / "plans" / "tinh-nghe-an.txt"
    report = ingest_paths(settings, [plan], progress=False)
    assert report.conservation["tinh-nghe-an"].ok

    import ingest.pipeline as pipeline

    real = pipeline.chunk_document
    monkeypatch.setattr(pipeline, "chunk_document", lambda document: real(document)[1:])
    copy = tmp_path / "tinh-ha-tinh.txt"
    copy.write_bytes((PACKAGE_KNOWLEDGE_DIR / "plans" / "tinh-ha-tinh.txt").read_bytes())
    report = ingest_paths(settings, [plan, copy], progress=False)
    assert "tinh-ha-tinh" in report.added and not report.conservation["tinh-ha-tinh"].ok
    assert "dòng không có trong đoạn nào" in report.conservation["tinh-ha-tinh"].warning()


def test_all_divisions_of_a_code(tmp_path):
    source = tmp_path / "bo-luat-mau.txt"
    source.write_text(
        "QUỐC HỘI\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nBộ luật số: 99/2019/QH14\n"
        "Hà Nội, ngày 20 tháng 11 năm 2019\n\nBỘ LUẬT\nMẪU\n\n"
        "Phần thứ nhất\nNHỮNG QUY ĐỊNH CHUNG\n\nChương I\nPHẠM VI\n\nMục 1. QUY ĐỊNH A\n\nTiểu mục 1. CHI TIẾT\n\n"
        "Điều 1. Phạm vi điều chỉnh\n1. Khoản một gồm:\na) Điểm a;\nđ) Điểm đ.\n\n"
        "Điều 2. Đối tượng áp dụng\nBộ luật này áp dụng với mọi người.\n\n"
        "Phần thứ hai\nQUY ĐỊNH RIÊNG\n\nChương II\nQUY ĐỊNH KHÁC\n\nĐiều 3. Hiệu lực\nBộ luật này có hiệu lực từ ngày ký.\n\n"
        "Bộ luật này được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam khóa XIV thông qua.\n\n"
        "CHỦ TỊCH QUỐC HỘI\nNguyễn Văn An\n",
        encoding="utf-8",
    )
    document, chunks = _chunks(source)
    assert check(document.lines, chunks).ok
    meta = document.metadata
    assert (meta["doc_type"], meta["number"], meta["date"], meta["signer"]) == ("Bộ luật", "99/2019/QH14", "20/11/2019", "Nguyễn Văn An")
    assert (meta["title"], meta["short_name"], meta["issuer"]) == ("Bộ luật Mẫu", "Bộ luật Mẫu 2019", "Quốc hội")
    sections = [c.section for c in chunks]
    assert "Phần thứ nhất > Chương I > Mục 1 > Tiểu mục 1 > Điều 1. Phạm vi điều chỉnh" in sections
    assert "Phần thứ hai > Chương II > Điều 3. Hiệu lực" in sections
    assert sections[-2:] == ["Phần kết", "Người ký"]
    first = next(c for c in chunks if "Điều 1." in c.section)
    # The division headings with no text of their own open the article's passage.
    assert first.text.startswith("Phần thứ nhất\nNHỮNG QUY ĐỊNH CHUNG\nChương I\nPHẠM VI\nMục 1. QUY ĐỊNH A")
