"""Courses: lessons grouped by who learns them, shown by /chude and the web topic list."""

from __future__ import annotations

import random

import pytest

from bot.core import Assistant
from bot.messages import IncomingMessage
from hocvuso.db import Database
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR, load_settings
from knowledge.courses import CourseError, Courses, load_courses
from knowledge.quizbank import load_bank


def test_the_shipped_courses_list_only_lessons_that_exist():
    courses = load_courses(PACKAGE_KNOWLEDGE_DIR)
    lessons = {path.stem for path in (PACKAGE_KNOWLEDGE_DIR / "lessons").glob("*.md")}

    assert [c.id for c in courses.items] == ["cong-dan", "ho-kinh-doanh", "can-bo"]
    assert all(set(c.lessons) <= lessons and c.lessons for c in courses.items)
    # Every shipped lesson belongs to at least one course; some to several.
    assert lessons == {lesson for c in courses.items for lesson in c.lessons}
    assert [c.id for c in courses.of_lesson("04-thanh-toan-so")] == ["cong-dan", "ho-kinh-doanh"]
    assert [c.id for c in courses.of_lesson("01-binh-dan-hoc-vu-so")] == ["cong-dan", "can-bo"]


def test_lessons_not_written_yet_are_left_out_and_a_broken_file_is_named(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "02-vneid.md").write_text("# VNeID\n", encoding="utf-8")
    (tmp_path / "courses.yaml").write_text(
        "courses:\n  - id: cong-dan\n    title: Công dân số\n    lessons: [99-chua-co, 02-vneid, 02-vneid]\n",
        encoding="utf-8",
    )
    assert load_courses(tmp_path).items[0].lessons == ("02-vneid",)
    assert load_courses(tmp_path / "none") == Courses()

    (tmp_path / "courses.yaml").write_text("courses:\n  - title: Không có mã\n", encoding="utf-8")
    with pytest.raises(CourseError, match="courses.yaml"):
        load_courses(tmp_path)


@pytest.fixture
def assistant(tmp_path):
    settings = load_settings(data_dir=tmp_path)
    db = Database.from_settings(settings)
    yield Assistant(None, db, settings, rng=random.Random(1))
    db.close()


def test_chude_shows_each_topic_once_grouped_by_course_with_number_buttons(assistant):
    reply = assistant.handle(IncomingMessage("zalo", "u1", text="chủ đề"))[0]
    bank = load_bank(PACKAGE_KNOWLEDGE_DIR / "quizzes")
    lines = reply.text.splitlines()

    assert "Công dân số:" in lines and "Hộ kinh doanh số:" in lines and "Cán bộ, công chức:" in lines
    # One button per topic plus the mixed quiz, labelled by number only: names are in the text alone.
    assert [b.label for b in reply.buttons] == [str(n) for n in range(1, len(bank.topics) + 2)]
    assert {b.payload for b in reply.buttons} == {f"quiz:start:{t}" for t in bank.topics} | {"quiz:start"}
    for button in reply.buttons[:-1]:
        topic = bank.topics[button.payload.rsplit(":", 1)[1]]
        listed = [line for line in lines if line.startswith(f"{button.label}. ")]
        assert listed and all(topic.name in line for line in listed)
    # A topic in two courses keeps its number under both.
    payment = next(line for line in lines if "Thanh toán không dùng tiền mặt" in line)
    assert lines.count(payment) == 2

