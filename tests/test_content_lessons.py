"""Content checks for the training lessons and their quizzes."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from knowledge.textnorm import words

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"

# lesson id -> topic id, as fixed by the team contract
LESSONS = {
    "01-binh-dan-hoc-vu-so": "binh-dan-hoc-vu-so",
    "02-vneid": "vneid",
    "03-dich-vu-cong": "dich-vu-cong",
    "04-thanh-toan-so": "thanh-toan-so",
    "05-lua-dao": "lua-dao",
    "06-mat-khau": "mat-khau",
    "07-du-lieu-ca-nhan": "du-lieu-ca-nhan",
    "08-tin-gia": "tin-gia",
    "09-tri-tue-nhan-tao": "tri-tue-nhan-tao",
    "10-ban-hang-truc-tuyen": "ban-hang-truc-tuyen",
    "11-dien-thoai-thong-minh": "dien-thoai-thong-minh",
    "12-an-toan-tre-em": "an-toan-tre-em",
    "13-dien-thoai-internet": "dien-thoai-internet",
    "14-giao-tiep-so": "giao-tiep-so",
    "15-ung-xu-mang-xa-hoi": "ung-xu-mang-xa-hoi",
    "16-y-te-so": "y-te-so",
    "17-hoc-truc-tuyen": "hoc-truc-tuyen",
    "18-thanh-toan-hoa-don": "thanh-toan-hoa-don",
    "19-ho-kinh-doanh-so": "ho-kinh-doanh-so",
    "20-dich-vu-vneid": "dich-vu-vneid",
    "21-bao-cao-lua-dao": "bao-cao-lua-dao",
    "22-can-bo-so": "can-bo-so",
}
REQUIRED_SECTIONS = ["Mục tiêu", "Các bước", "Lưu ý an toàn", "Tóm tắt", "Nguồn"]
DIFFICULTIES = {"easy", "medium", "hard"}
# Lessons must not send people to addresses we cannot vouch for.
URL_RE = re.compile(r"https?://|www\.|\b[\w.-]+\.(?:vn|com|net|org|gov)\b", re.IGNORECASE)
# Official addresses the lessons may give (national portals and state-run sites only), and
# the ".gov.vn" ending of state websites that lessons teach people to check.
ALLOWED_ADDRESSES = {
    "dichvucong.gov.vn",  # Cổng Dịch vụ công quốc gia
    "hoadondientu.gdt.gov.vn",  # Cổng thông tin hóa đơn điện tử của cơ quan thuế
    "tinnhiemmang.vn",  # Trung tâm Giám sát an toàn không gian mạng quốc gia
    "binhdanhocvuso.gov.vn",  # nền tảng chính thức của phong trào
    "gov.vn",
}


def split_lesson(lesson_id: str) -> tuple[dict, str]:
    """Return the front matter and the Markdown body of a lesson."""
    text = (KNOWLEDGE / "lessons" / f"{lesson_id}.md").read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.DOTALL)
    assert match, f"{lesson_id}: thiếu phần front matter giữa hai dòng ---"
    return yaml.safe_load(match.group(1)), match.group(2)


def split_sections(body: str) -> dict[str, str]:
    """Map each `##` heading of a lesson body to its text (subsections included)."""
    parts = re.split(r"^## +(.+?)\s*$", body, flags=re.MULTILINE)
    return {title: text for title, text in zip(parts[1::2], parts[2::2])}


def load_quiz(lesson_id: str) -> dict:
    """Parse the quiz file that belongs to a lesson."""
    path = KNOWLEDGE / "quizzes" / f"{lesson_id}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_lesson_front_matter_and_title(lesson_id):
    meta, body = split_lesson(lesson_id)
    assert set(meta) == {"id", "title", "topic"}
    assert meta["id"] == lesson_id
    assert meta["topic"] == LESSONS[lesson_id]
    first_line = body.strip().splitlines()[0]
    assert first_line == f"# {meta['title']}"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_lesson_text_is_nfc_and_within_length(lesson_id):
    _, body = split_lesson(lesson_id)
    raw = (KNOWLEDGE / "lessons" / f"{lesson_id}.md").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)
    assert 300 <= len(body.split()) <= 1000
    addresses = {m.group(0).lower() for m in URL_RE.finditer(body)} - ALLOWED_ADDRESSES
    assert not addresses, f"bài học không được chứa địa chỉ web: {addresses}"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_lesson_has_required_sections_and_numbered_steps(lesson_id):
    _, body = split_lesson(lesson_id)
    found = split_sections(body)
    for title in REQUIRED_SECTIONS:
        assert found.get(title, "").strip(), f"{lesson_id}: thiếu mục '## {title}'"
    steps = re.findall(r"^### (\d+)\. \S", found["Các bước"], flags=re.MULTILINE)
    assert [int(n) for n in steps] == list(range(1, len(steps) + 1))
    assert len(steps) >= 3
    # The summary closes the lesson; only its sources may follow it.
    assert list(found)[-2:] == ["Tóm tắt", "Nguồn"]


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_lessons_name_their_sources_and_teach_enough(lesson_id):
    _, body = split_lesson(lesson_id)
    sources = split_sections(body).get("Nguồn", "")
    items = re.findall(r"^- \S.+$", sources, flags=re.MULTILINE)
    assert items, f"{lesson_id}: thiếu mục '## Nguồn' liệt kê nguồn"
    assert len(body.split()) >= 600


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_quiz_header_matches_lesson(lesson_id):
    meta, _ = split_lesson(lesson_id)
    quiz = load_quiz(lesson_id)
    assert quiz["topic"] == meta["topic"]
    assert quiz["lesson"] == lesson_id
    assert quiz["topic_name"].strip()
    assert len(quiz["questions"]) >= 9


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_quiz_items_follow_schema(lesson_id):
    _, body = split_lesson(lesson_id)
    headings = set(split_sections(body))
    quiz = load_quiz(lesson_id)
    for number, item in enumerate(quiz["questions"], start=1):
        where = f"{lesson_id}.yaml câu {number}"
        assert set(item) == {"id", "question", "options", "correct", "explanation", "section", "difficulty"}, where
        assert re.fullmatch(rf"{re.escape(quiz['topic'])}-\d\d", item["id"]), where
        assert item["question"].strip() and item["explanation"].strip(), where
        options = item["options"]
        assert len(options) == 4, where
        assert all(isinstance(o, str) and o.strip() for o in options), where
        assert len({o.strip() for o in options}) == len(options), f"{where}: phương án trùng nhau"
        assert isinstance(item["correct"], int) and 1 <= item["correct"] <= len(options), where
        assert item["section"] in headings, f"{where}: không có mục '## {item['section']}'"
        assert item["difficulty"] in DIFFICULTIES, where
        for text in [item["question"], item["explanation"], *options]:
            assert unicodedata.is_normalized("NFC", text), where


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_quiz_correct_answers_are_grounded_in_their_sections(lesson_id):
    # The right option must be answerable from the cited section: most of its words appear there.
    # One item a quiz may paraphrase or give an example (a sample strong password) instead.
    _, body = split_lesson(lesson_id)
    found = split_sections(body)
    ungrounded = []
    for item in load_quiz(lesson_id)["questions"]:
        section_words = set(words(found[item["section"]]))
        answer_words = [w for w in words(item["options"][item["correct"] - 1]) if len(w) > 1]
        share = sum(w in section_words for w in answer_words) / len(answer_words)
        if share < 0.85:
            ungrounded.append(item["id"])
    assert len(ungrounded) <= 1, f"đáp án đúng không thấy trong mục được dẫn: {ungrounded}"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_quiz_mixes_answer_positions_and_difficulty(lesson_id):
    questions = load_quiz(lesson_id)["questions"]
    assert len({q["correct"] for q in questions}) >= 3
    assert {q["difficulty"] for q in questions} == DIFFICULTIES


def test_quiz_ids_are_unique_across_files():
    ids = [q["id"] for lesson_id in LESSONS for q in load_quiz(lesson_id)["questions"]]
    assert len(ids) >= 108
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"mã câu hỏi bị trùng: {duplicates}"
