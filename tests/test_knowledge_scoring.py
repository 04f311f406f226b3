"""Scoring exactly as the eval README describes it, on hand-made answers."""

from __future__ import annotations

import pytest

from knowledge.evaluation import QuestionFileError, comparable, has_diacritics, is_hit, load_questions, score


def source(text: str, kind: str = "plan", title: str = "Kế hoạch tỉnh Nghệ An", section: str = "I. MỤC ĐÍCH") -> dict:
    return {"doc_id": "d", "title": title, "section": section, "kind": kind, "text": text, "score": 1.0}


QUESTION = {"id": "q", "question": "Cơ quan nào thẩm định?", "expect_kind": "plan",
            "expect": [["Sở Khoa học và Công nghệ"], ["thẩm định hồ sơ", "thẩm tra hồ sơ"]], "doc_hint": "Nghệ An"}


def test_comparison_ignores_case_spaces_line_breaks_and_dash_kind():
    assert comparable("Phòng Văn hóa – Xã hội\n ABC") == "phòngvănhóa-xãhộiabc"
    assert is_hit(source("... Sở Khoa học\nvà Công nghệ chủ trì, thẩm tra  hồ sơ"), QUESTION)


@pytest.mark.parametrize(
    "candidate",
    [
        source("Sở Khoa học và Công nghệ chủ trì"),  # a group is missing
        source("Sở Khoa học và Công nghệ thẩm định hồ sơ", kind="lesson"),  # wrong kind
        source("Sở Khoa học và Công nghệ thẩm định hồ sơ", title="Kế hoạch tỉnh Hà Tĩnh"),  # wrong document
    ],
)
def test_not_a_hit(candidate):
    assert not is_hit(candidate, QUESTION)


def test_doc_hint_may_be_in_the_section_and_any_accepts_every_kind():
    hit = source("Sở Khoa học và Công nghệ thẩm định hồ sơ", kind="lesson", title="Bài học", section="Nghệ An > 1.")
    assert is_hit(hit, {**QUESTION, "expect_kind": "any"})


def test_metrics():
    good = source("Sở Khoa học và Công nghệ thẩm định hồ sơ")
    bad = source("không liên quan")
    questions = [
        QUESTION,
        {**QUESTION, "id": "q2", "question": "co quan nao tham dinh"},
        {"id": "n", "question": "Giá vàng?", "expect_kind": "none", "expect": []},
        {"id": "n2", "question": "thoi tiet", "expect_kind": "none", "expect": []},
    ]
    answers = [
        {"answer": "Sở Khoa học và Công nghệ thẩm định hồ sơ.", "found": True, "sources": [good, bad]},
        {"answer": "Sở Khoa học và Công nghệ", "found": True, "sources": [bad, bad, good]},
        {"answer": "Xin lỗi", "found": False, "sources": []},
        {"answer": "Trời nắng", "found": True, "sources": [bad]},
    ]
    report = score(questions, answers)
    overall = report["overall"]
    assert (overall["hit1"], overall["hit5"], overall["answer_ok"], overall["refuse"]) == (0.5, 1.0, 0.5, 0.5)
    assert overall["mrr10"] == pytest.approx((1 + 1 / 3) / 2)
    assert report["no_diacritics"]["questions"] == 2 and report["no_diacritics"]["hit1"] == 0.0
    assert report["kind:none"] == {"questions": 2, "answerable": 0, "refuse": 0.5}
    assert has_diacritics("Giá vàng") and not has_diacritics("gia vang 2025?")


def test_hits_beyond_ten_do_not_count():
    answer = {"answer": "", "found": False, "sources": [source("x")] * 10 + [source("Sở Khoa học và Công nghệ thẩm định hồ sơ")]}
    assert score([QUESTION], [answer])["overall"]["mrr10"] == 0.0


def test_question_files(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "VNeID là gì?"}\n\n{"id": "b", "question": "x"}\n', encoding="utf-8")
    assert [q["id"] for q in load_questions(path)] == ["1", "b"]
    path.write_text('{"question": "ok"}\nkhông phải json\n', encoding="utf-8")
    with pytest.raises(QuestionFileError, match="dòng 2"):
        load_questions(path)
