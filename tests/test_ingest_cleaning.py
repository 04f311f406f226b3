"""Cleaning of PDF-extracted text, on the real plans and on small cases."""

from __future__ import annotations

import unicodedata

import pytest

from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR
from ingest.cleaning import clean_text

PLANS = sorted((PACKAGE_KNOWLEDGE_DIR / "plans").glob("*.txt"))


def cleaned(name: str) -> str:
    return clean_text((PACKAGE_KNOWLEDGE_DIR / "plans" / f"{name}.txt").read_text(encoding="utf-8"))


def test_words_split_across_lines_are_joined():
    raw = "thực hiện Nghị quyết số 57-\n\nNQ/TW ngày 22/12/2024 và Nghị quyết số 03/NQ-\nCP của Chính phủ."
    assert clean_text(raw) == "thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024 và Nghị quyết số 03/NQ-CP của Chính phủ."


def test_lines_become_paragraphs_and_headings_stay_apart():
    raw = (
        "I. MỤC ĐÍCH, YÊU CẦU \n\n1. Mục đích \n\n- Phát huy sức mạnh của hệ thống chính trị trong \n\n"
        "việc tuyên truyền. \n\n- Tổ chức phong trào thi đua."
    )
    assert clean_text(raw).split("\n") == [
        "I. MỤC ĐÍCH, YÊU CẦU",
        "1. Mục đích",
        "- Phát huy sức mạnh của hệ thống chính trị trong việc tuyên truyền.",
        "- Tổ chức phong trào thi đua.",
    ]


def test_a_dash_after_an_unfinished_phrase_is_not_a_list_item():
    raw = "giai đoạn 1, Phòng Văn hóa \n\n- Xã hội chủ trì tham mưu Ủy ban nhân dân xã."
    assert clean_text(raw) == "giai đoạn 1, Phòng Văn hóa - Xã hội chủ trì tham mưu Ủy ban nhân dân xã."


def test_page_numbers_underlines_spaces_quotes_and_dashes():
    raw = "Cả nước thi đua “đổi mới   sáng tạo” \n\n8 \n \nvà chuyển đổi số – năm 2025 _______ \n"
    assert clean_text(raw) == 'Cả nước thi đua "đổi mới sáng tạo" và chuyển đổi số - năm 2025'


def test_decomposed_text_becomes_nfc():
    raw = unicodedata.normalize("NFD", "Bình dân học vụ số")
    assert clean_text(raw) == unicodedata.normalize("NFC", "Bình dân học vụ số")


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_real_plans_clean_up(path):
    text = clean_text(path.read_text(encoding="utf-8"))
    lines = text.split("\n")
    assert unicodedata.is_normalized("NFC", text)
    assert not any(line.strip().isdigit() for line in lines), "a page number was left alone on a line"
    assert "  " not in text and "\u201c" not in text and "\u2013" not in text
    assert "57-NQ/TW" in text and "57- NQ" not in text
    assert all(line == line.strip() and line for line in lines)


def test_real_plan_paragraphs():
    lines = cleaned("xa-nghia-trung").split("\n")
    # The interleaved header keeps its lines; the split "57-\nNQ/TW" is one word again.
    assert lines[:6] == [
        "ỦY BAN NHÂN DÂN",
        "XÃ NGHĨA TRUNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: /KH-UBND Nghĩa Trung, ngày tháng 01 năm 2026",
        "KẾ HOẠCH",
    ]
    assert (
        "Trên cơ sở sơ kết, đánh giá kết quả việc thực hiện giai đoạn 1, Phòng Văn hóa - Xã hội chủ trì "
        "tham mưu Ủy ban nhân dân xã tiếp tục triển khai giai đoạn 2 của Phong trào thi đua và tổng kết "
        "vào năm 2030." in lines
    )
    assert "8" not in lines
