"""The quiz bank: schema of ``knowledge/quizzes/*.yaml``, loading and validation.

Each file holds the questions of one topic and names the lesson they come from;
every question names the lesson section (a ``##`` heading) it tests, so feedback
can cite "lesson title › section". Errors are collected, not raised one by one,
and each names the file and the item so authors can fix them all in one pass.

Two levels of checks: every item must have exactly four options, none of them a
catch-all ("tất cả đều đúng"), and cite an existing section (loading refuses
otherwise); the bank as authored must also meet the item-writing standards that
only make sense over many items (enough items per lesson, the correct option not
given away by being the longest). :func:`validate_dir` applies both;
:func:`describe_bank` prints the figures an author needs to balance the bank.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from knowledge.textnorm import fold, nfc, words

_H2_RE = re.compile(r"^##(?!#)\s*(.+?)\s*#*\s*$")
_H1_RE = re.compile(r"^#(?!#)\s*(.+?)\s*$")

OPTIONS_PER_ITEM = 4
MIN_ITEMS_PER_LESSON = 8
# Share of items whose correct option is strictly the longest: above this, "pick the
# longest" passes the quiz without reading the lesson.
MAX_CORRECT_LONGEST_SHARE = 0.30

# Options that answer about the other options ("tất cả đều đúng", "cả A và B",
# "không có đáp án nào đúng") test elimination tricks, not the lesson. Matched on
# folded text so they are caught with or without diacritics.
_CATCH_ALL_RE = re.compile(
    r"\b(?:tat ca|ca hai|ca ba|ca bon|moi)\b.*(?:\bdeu (?:dung|sai)\W*$|\b(?:y|dap an|phuong an|lua chon|cau) tren\b)"
    r"|^ca [a-d] va [a-d]\b"
    r"|\bkhong (?:co )?(?:y|dap an|phuong an|lua chon|cau) nao\b"
)


class QuizItem(BaseModel):
    """One question as written in a quiz file (``correct`` is 1-based)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*-\d{2,}$")
    question: str = Field(min_length=1)
    options: list[str]
    correct: StrictInt
    explanation: str = Field(min_length=1)
    section: str = Field(min_length=1)
    difficulty: Literal["easy", "medium", "hard"]

    @field_validator("question", "explanation", "section", mode="after")
    @classmethod
    def _clean(cls, value: str) -> str:
        value = nfc(value).strip()
        if not value:
            raise ValueError("không được để trống")
        return value

    @field_validator("options", mode="after")
    @classmethod
    def _clean_options(cls, values: list[str]) -> list[str]:
        if len(values) != OPTIONS_PER_ITEM:
            raise ValueError(f"cần đúng {OPTIONS_PER_ITEM} lựa chọn (đang có {len(values)})")
        cleaned = [nfc(v).strip() for v in values]
        if not all(cleaned):
            raise ValueError("có lựa chọn để trống")
        if len({fold(v) for v in cleaned}) != len(cleaned):
            raise ValueError("có hai lựa chọn giống nhau")
        for value in cleaned:
            if _CATCH_ALL_RE.search(fold(value)):
                raise ValueError(
                    f"lựa chọn '{value}' nói về các lựa chọn khác; hãy viết một phương án có nội dung riêng"
                )
        return cleaned

    @model_validator(mode="after")
    def _correct_in_range(self) -> QuizItem:
        if not 1 <= self.correct <= len(self.options):
            raise ValueError(
                f"'correct' = {self.correct} nằm ngoài khoảng 1..{len(self.options)} (số thứ tự của đáp án đúng)"
            )
        return self


class QuizFile(BaseModel):
    """A quiz file: one topic, its display name, its lesson and its questions.

    Questions are validated one by one (:class:`QuizItem`) so a bad item does not
    hide the problems of the others.
    """

    model_config = ConfigDict(extra="forbid")

    topic: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    topic_name: str = Field(min_length=1)
    lesson: str = Field(min_length=1)
    # Extra words people use for the topic ("dvc", "otp"); optional.
    keywords: list[str] = Field(default_factory=list)
    questions: list[dict] = Field(min_length=1)

    @field_validator("topic_name", mode="after")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        return nfc(value).strip()


@dataclass(frozen=True)
class Question:
    """A validated question with its topic and lesson resolved (``correct_index`` is 0-based)."""

    id: str
    topic: str
    lesson: str
    lesson_title: str
    section: str
    question: str
    options: tuple[str, ...]
    correct_index: int
    explanation: str
    difficulty: str


@dataclass(frozen=True)
class Topic:
    """A quiz topic and the ids of its questions, in file order."""

    id: str
    name: str
    lesson: str
    lesson_title: str
    keywords: tuple[str, ...]
    question_ids: tuple[str, ...]


def correct_is_longest(question: Question) -> bool:
    """True when the correct option is strictly longer (in characters) than every other one."""
    right, others = _lengths(question)
    return right > max(others, default=0)


def correct_is_shortest(question: Question) -> bool:
    """True when the correct option is strictly shorter than every other one (the opposite cue)."""
    right, others = _lengths(question)
    return right < min(others, default=right + 1)


def _lengths(question: Question) -> tuple[int, list[int]]:
    """Length of the correct option and of the others, in characters."""
    others = [len(o) for i, o in enumerate(question.options) if i != question.correct_index]
    return len(question.options[question.correct_index]), others


@dataclass
class QuizBank:
    """All topics and questions, indexed by id."""

    topics: dict[str, Topic] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)

    def by_topic(self, topic: str) -> list[Question]:
        """The questions of one topic (empty for an unknown topic)."""
        found = self.topics.get(topic)
        return [self.questions[qid] for qid in found.question_ids] if found else []


class QuizBankError(Exception):
    """The quiz files are invalid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class _Lesson:
    title: str
    topic: str
    sections: tuple[str, ...]


def load_bank(directory: Path, lessons_dir: Path | None = None) -> QuizBank:
    """Load every quiz file of ``directory``; raise :class:`QuizBankError` if any is invalid."""
    bank, errors = _read(Path(directory), lessons_dir)
    if errors:
        raise QuizBankError(errors)
    return bank


def validate_dir(directory: Path, lessons_dir: Path | None = None, *, standards: bool = True) -> list[str]:
    """Check every quiz file of ``directory`` (and, unless ``standards`` is False, the bank-level rules).

    Returns the errors, empty when all is valid. Without ``standards`` the answer is exactly
    what :func:`load_bank` would refuse.
    """
    return audit_dir(directory, lessons_dir, standards=standards)[1]


def audit_dir(
    directory: Path, lessons_dir: Path | None = None, *, standards: bool = True
) -> tuple[QuizBank, list[str]]:
    """The valid part of the bank in ``directory`` and every error, item-level and bank-level."""
    directory = Path(directory)
    bank, errors = _read(directory, lessons_dir)
    if not errors and not _quiz_files(directory):
        errors.append(f"{directory}: không có tệp trắc nghiệm .yaml nào")
    # Bank-level figures are only meaningful once every item is valid.
    if standards and not errors and bank.questions:
        errors.extend(check_standards(bank))
    return bank, errors


def check_standards(bank: QuizBank) -> list[str]:
    """Bank-level item-writing rules: enough items per lesson, the longest option rarely the right one."""
    errors = []
    per_lesson = Counter(q.lesson for q in bank.questions.values())
    for lesson, count in sorted(per_lesson.items()):
        if count < MIN_ITEMS_PER_LESSON:
            errors.append(f"bài {lesson}: có {count} câu, cần ít nhất {MIN_ITEMS_PER_LESSON}")
    longest = [q.id for q in bank.questions.values() if correct_is_longest(q)]
    share = len(longest) / len(bank.questions)
    if share > MAX_CORRECT_LONGEST_SHARE:
        errors.append(
            f"{len(longest)}/{len(bank.questions)} câu ({share:.0%}) có đáp án đúng dài nhất, tối đa"
            f" {MAX_CORRECT_LONGEST_SHARE:.0%}: viết phương án nhiễu dài tương đương hoặc rút gọn đáp án ở các câu"
            f" {', '.join(longest[:12])}{' …' if len(longest) > 12 else ''}"
        )
    return errors


def describe_bank(bank: QuizBank) -> list[str]:
    """Report lines: items per topic, difficulty spread, position of the correct option, correct-longest share."""
    questions = list(bank.questions.values())
    if not questions:
        return ["Ngân hàng chưa có câu hỏi hợp lệ."]
    total = len(questions)

    def spread(counter: Counter, keys) -> str:
        return ", ".join(f"{key}: {counter[key]} ({counter[key] / total:.0%})" for key in keys)

    lines = ["Số câu theo chủ đề:"]
    for topic in bank.topics.values():
        items = bank.by_topic(topic.id)
        longest = sum(correct_is_longest(q) for q in items)
        levels = Counter(q.difficulty for q in items)
        lines.append(
            f"  {topic.id}\t{len(items)} câu\tdễ/vừa/khó {levels['easy']}/{levels['medium']}/{levels['hard']}"
            f"\tđáp án dài nhất {longest}"
        )
    levels = Counter(q.difficulty for q in questions)
    positions = Counter("ABCD"[q.correct_index] for q in questions)
    longest = sum(correct_is_longest(q) for q in questions)
    shortest = sum(correct_is_shortest(q) for q in questions)
    lines += [
        f"Độ khó: {spread(levels, ['easy', 'medium', 'hard'])}",
        f"Vị trí đáp án đúng: {spread(positions, 'ABCD')}",
        f"Đáp án đúng dài nhất: {longest}/{total} câu ({longest / total:.0%}; tối đa {MAX_CORRECT_LONGEST_SHARE:.0%})",
        f"Đáp án đúng ngắn nhất: {shortest}/{total} câu ({shortest / total:.0%})",
    ]
    return lines


# libyaml's parser when PyYAML was built with it: ten times faster than the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str):
    """Parse YAML safely (no arbitrary objects)."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def _quiz_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def _read(directory: Path, lessons_dir: Path | None) -> tuple[QuizBank, list[str]]:
    """Parse and cross-check all files, returning what is valid and every error."""
    if not directory.is_dir():
        return QuizBank(), [f"{directory}: thư mục trắc nghiệm không tồn tại"]
    lessons_dir = Path(lessons_dir) if lessons_dir else directory.parent / "lessons"
    bank, errors = QuizBank(), []
    lessons: dict[str, _Lesson | None] = {}
    seen_ids: dict[str, str] = {}
    seen_topics: dict[str, str] = {}
    seen_texts: dict[str, str] = {}

    for path in _quiz_files(directory):
        name = path.name
        quiz = _parse_file(path, errors)
        if quiz is None:
            continue
        items = _parse_items(name, quiz.questions, errors)
        if quiz.topic in seen_topics:
            errors.append(f"{name}: chủ đề '{quiz.topic}' đã có trong {seen_topics[quiz.topic]}")
            continue
        seen_topics[quiz.topic] = name

        if quiz.lesson not in lessons:
            lessons[quiz.lesson] = _read_lesson(lessons_dir / f"{quiz.lesson}.md")
        lesson = lessons[quiz.lesson]
        if lesson is None:
            errors.append(f"{name}: bài học '{quiz.lesson}' không có trong {lessons_dir} (cần tệp {quiz.lesson}.md)")
            continue
        if lesson.topic and lesson.topic != quiz.topic:
            errors.append(f"{name}: chủ đề '{quiz.topic}' khác chủ đề '{lesson.topic}' của bài {quiz.lesson}")

        headings = {_heading_key(s): s for s in lesson.sections}
        question_ids = []
        for item in items:
            where = f"{name}: câu {item.id}"
            problems = []
            if not item.id.startswith(quiz.topic + "-"):
                problems.append(f"id phải có dạng {quiz.topic}-NN")
            if item.id in seen_ids:
                problems.append(f"id trùng với một câu trong {seen_ids[item.id]}")
            text_key = " ".join(words(item.question))
            if seen_texts.get(text_key, item.id) != item.id:
                problems.append(f"nội dung câu hỏi trùng với câu {seen_texts[text_key]}")
            seen_texts.setdefault(text_key, item.id)
            section = headings.get(_heading_key(item.section))
            if section is None:
                problems.append(
                    f"mục '{item.section}' không phải tiêu đề ## của bài {quiz.lesson}"
                    f" (các mục: {', '.join(lesson.sections) or 'không có'})"
                )
            errors.extend(f"{where}: {p}" for p in problems)
            seen_ids.setdefault(item.id, name)
            if problems:
                continue
            bank.questions[item.id] = Question(
                id=item.id,
                topic=quiz.topic,
                lesson=quiz.lesson,
                lesson_title=lesson.title,
                section=section,
                question=item.question,
                options=tuple(item.options),
                correct_index=item.correct - 1,
                explanation=item.explanation,
                difficulty=item.difficulty,
            )
            question_ids.append(item.id)
        bank.topics[quiz.topic] = Topic(
            id=quiz.topic,
            name=quiz.topic_name,
            lesson=quiz.lesson,
            lesson_title=lesson.title,
            keywords=tuple(nfc(k).strip() for k in quiz.keywords if k.strip()),
            question_ids=tuple(question_ids),
        )
    return bank, errors


def _parse_file(path: Path, errors: list[str]) -> QuizFile | None:
    """Parse one file; on failure append errors naming the file and item and return None."""
    try:
        raw = _load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        errors.append(f"{path.name}: tệp không phải UTF-8")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (dòng {mark.line + 1})" if mark else ""
        errors.append(f"{path.name}: YAML không hợp lệ{line}: {getattr(exc, 'problem', None) or exc}")
        return None
    if not isinstance(raw, dict):
        errors.append(f"{path.name}: tệp phải là một bảng có các khóa topic, topic_name, lesson, questions")
        return None
    try:
        return QuizFile.model_validate(raw)
    except ValidationError as exc:
        errors.extend(f"{path.name}: {_describe(err)}" for err in exc.errors())
        return None


def _parse_items(name: str, raw_items: list[dict], errors: list[str]) -> list[QuizItem]:
    """Validate each question on its own; append errors naming the item (id, else position)."""
    items = []
    for position, raw in enumerate(raw_items, start=1):
        try:
            items.append(QuizItem.model_validate(raw))
        except ValidationError as exc:
            item_id = raw.get("id")
            where = f"câu {item_id}" if isinstance(item_id, str) and item_id else f"câu thứ {position}"
            errors.extend(f"{name}: {where}: {_describe(err)}" for err in exc.errors())
    return items


def _describe(err: dict) -> str:
    """One pydantic error as Vietnamese text, prefixed by the field it concerns."""
    field_name = ".".join(str(part) for part in err["loc"])
    template = _MESSAGES.get(err["type"])
    message = template.format(**err.get("ctx", {})) if template else str(err["msg"]).removeprefix("Value error, ")
    return f"'{field_name}': {message}" if field_name else message


# Vietnamese wording of the pydantic errors an author is likely to meet.
_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép (kiểm tra chính tả tên khóa)",
    "string_type": "phải là chuỗi văn bản (đặt trong dấu ngoặc kép nếu là số hoặc yes/no)",
    "int_type": "phải là số nguyên",
    "list_type": "phải là một danh sách",
    "model_type": "phải là một bảng khóa: giá trị",
    "dict_type": "phải là một bảng khóa: giá trị",
    "string_too_short": "không được để trống",
    "string_pattern_mismatch": "sai định dạng (chỉ chữ thường không dấu, số và dấu gạch ngang; id dạng <chủ-đề>-NN)",
    "literal_error": "phải là easy, medium hoặc hard",
    "too_short": "cần ít nhất {min_length} phần tử",
    "too_long": "nhiều nhất {max_length} phần tử",
}


def _heading_key(heading: str) -> str:
    """Compare headings ignoring case, spacing and Unicode form."""
    return " ".join(nfc(heading).casefold().split())


def _read_lesson(path: Path) -> _Lesson | None:
    """Title, topic and ``##`` headings of a lesson file, or None if it does not exist."""
    if not path.is_file():
        return None
    text = nfc(path.read_text(encoding="utf-8"))
    meta: dict = {}
    body = text
    if text.startswith("---"):
        parts = text.split("\n---", 1)
        if len(parts) == 2:
            try:
                loaded = _load_yaml(parts[0].removeprefix("---"))
            except yaml.YAMLError:
                loaded = None
            meta = loaded if isinstance(loaded, dict) else {}
            body = parts[1]
    sections, title = [], str(meta.get("title") or "").strip()
    in_code = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        if match := _H2_RE.match(line):
            sections.append(match.group(1))
        elif not title and (match := _H1_RE.match(line)):
            title = match.group(1)
    return _Lesson(title=title or path.stem, topic=str(meta.get("topic") or ""), sections=tuple(sections))
