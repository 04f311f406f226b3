"""Checks the format of lessons 01–06 and their quizzes (engineer B's content)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
LESSONS = KNOWLEDGE / "lessons"
QUIZZES = KNOWLEDGE / "quizzes"

TOPICS = {
    "01-binh-dan-hoc-vu-so": "binh-dan-hoc-vu-so",
    "02-vneid": "vneid",
    "03-dich-vu-cong": "dich-vu-cong",
    "04-thanh-toan-so": "thanh-toan-so",
    "05-lua-dao": "lua-dao",
    "06-mat-khau": "mat-khau",
}
REQUIRED_SECTIONS = ("Mục tiêu", "Các bước", "Lưu ý an toàn", "Tóm tắt")
DIFFICULTIES = {"easy", "medium", "hard"}
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


def split_lesson(stem: str) -> tuple[dict, str]:
    """Return the front matter and the Markdown body of a lesson."""
    text = (LESSONS / f"{stem}.md").read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    assert match, f"{stem}.md: thiếu phần front matter giữa hai dòng ---"
    return yaml.safe_load(match.group(1)), match.group(2)


def headings(body: str, level: int) -> list[str]:
    """Titles of the Markdown headings of one level, in order."""
    marker = "#" * level + " "
    return [line[len(marker):].strip() for line in body.splitlines() if line.startswith(marker)]


def section_text(body: str, title: str) -> str:
    """Text under a ``##`` heading up to the next ``##`` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", body, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def load_quiz(stem: str) -> dict:
    """Parsed quiz file of a lesson."""
    with (QUIZZES / f"{stem}.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("stem", TOPICS)
def test_lesson_front_matter_and_title(stem):
    meta, body = split_lesson(stem)
    assert meta["id"] == stem
    assert meta["topic"] == TOPICS[stem]
    assert isinstance(meta["title"], str) and meta["title"].strip()
    assert headings(body, 1) == [meta["title"]], "phải có đúng một tiêu đề # trùng với title"


@pytest.mark.parametrize("stem", TOPICS)
def test_lesson_is_nfc_without_web_links(stem):
    text = (LESSONS / f"{stem}.md").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    assert "http" not in text and "www." not in text


@pytest.mark.parametrize("stem", TOPICS)
def test_lesson_length(stem):
    _, body = split_lesson(stem)
    count = len(body.split())
    assert 300 <= count <= 900, f"{stem}: {count} từ"


@pytest.mark.parametrize("stem", TOPICS)
def test_lesson_sections(stem):
    _, body = split_lesson(stem)
    titles = headings(body, 2)
    for required in REQUIRED_SECTIONS:
        assert required in titles, f"{stem}: thiếu mục ## {required}"
        assert section_text(body, required).strip(), f"{stem}: mục {required} trống"
    assert len(titles) == len(set(titles)), f"{stem}: tiêu đề ## bị lặp"
    steps = headings(section_text(body, "Các bước"), 3)
    assert len(steps) >= 2
    assert [int(step.split(".", 1)[0]) for step in steps] == list(range(1, len(steps) + 1))


@pytest.mark.parametrize("stem", TOPICS)
def test_quiz_header(stem):
    quiz = load_quiz(stem)
    meta, _ = split_lesson(stem)
    assert quiz["topic"] == TOPICS[stem]
    assert quiz["lesson"] == stem
    assert isinstance(quiz["topic_name"], str) and quiz["topic_name"].strip()
    assert len(quiz["questions"]) >= 6
    assert meta["topic"] == quiz["topic"]


@pytest.mark.parametrize("stem", TOPICS)
def test_quiz_questions(stem):
    quiz = load_quiz(stem)
    _, body = split_lesson(stem)
    sections = set(headings(body, 2))
    topic = quiz["topic"]
    for item in quiz["questions"]:
        where = f"{stem}.yaml, câu {item.get('id')}"
        assert re.fullmatch(rf"{re.escape(topic)}-\d{{2}}", item["id"]), where
        assert isinstance(item["question"], str) and item["question"].strip(), where
        options = item["options"]
        assert 2 <= len(options) <= 4, where
        assert all(isinstance(o, str) and o.strip() for o in options), where
        assert len(set(options)) == len(options), f"{where}: phương án trùng nhau"
        assert isinstance(item["correct"], int) and 1 <= item["correct"] <= len(options), where
        assert isinstance(item["explanation"], str) and item["explanation"].strip(), where
        assert item["section"] in sections, f"{where}: bài học không có mục ## {item['section']}"
        assert item["difficulty"] in DIFFICULTIES, where
        for text in (item["question"], item["explanation"], *options):
            assert unicodedata.is_normalized("NFC", text), where


def test_quiz_ids_unique_across_files():
    ids = [item["id"] for stem in TOPICS for item in load_quiz(stem)["questions"]]
    assert len(ids) == len(set(ids))


def test_quiz_difficulties_are_mixed():
    for stem in TOPICS:
        levels = {item["difficulty"] for item in load_quiz(stem)["questions"]}
        assert len(levels) >= 2, f"{stem}: chỉ có một mức độ khó"
