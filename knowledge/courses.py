"""Courses: the lessons grouped by who learns them (``knowledge/courses.yaml``).

A course names its lessons by id; a lesson may belong to several courses. Lessons
that have no file in ``lessons/`` yet are left out, so the list can be written
ahead of the content. Errors in the file are reported in Vietnamese, naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.textnorm import nfc

COURSES_FILE = "courses.yaml"


class CourseError(Exception):
    """The courses file cannot be read."""


class _CourseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    description: str = ""
    lessons: list[str] = Field(default_factory=list)


class _CoursesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    courses: list[_CourseEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Course:
    """A course and the ids of its lessons that exist, in the file's order."""

    id: str
    title: str
    description: str
    lessons: tuple[str, ...]


@dataclass(frozen=True)
class Courses:
    """Every course, in the file's order."""

    items: tuple[Course, ...] = ()

    def of_lesson(self, lesson: str) -> list[Course]:
        """The courses that include ``lesson``."""
        return [course for course in self.items if lesson in course.lessons]


def load_courses(knowledge_dir: Path) -> Courses:
    """Read ``courses.yaml`` of ``knowledge_dir``; no file means no courses.

    Raise :class:`CourseError` when the file is not valid.
    """
    path = Path(knowledge_dir) / COURSES_FILE
    if not path.is_file():
        return Courses()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        parsed = _CoursesFile.model_validate(raw)
    except (UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
        raise CourseError(f"{path.name}: tệp khóa học không hợp lệ: {exc}") from exc
    existing = {p.stem for p in (Path(knowledge_dir) / "lessons").glob("*.md")}
    courses = []
    for entry in parsed.courses:
        lessons = tuple(dict.fromkeys(lesson for lesson in entry.lessons if lesson in existing))
        courses.append(Course(entry.id, nfc(entry.title).strip(), nfc(entry.description).strip(), lessons))
    return Courses(tuple(courses))
