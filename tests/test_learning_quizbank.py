"""The quiz bank: schema, cross-checks against lessons, item-writing rules, the report, and the shipped bank."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from hocvuso.cli import main
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR
from knowledge.quizbank import (
    MAX_CORRECT_LONGEST_SHARE,
    MIN_ITEMS_PER_LESSON,
    QuizBankError,
    describe_bank,
    load_bank,
    validate_dir,
)

LESSON = """\
---
id: 06-mat-khau
title: Mật khẩu mạnh và xác thực hai yếu tố
topic: mat-khau
---
# Mật khẩu mạnh và xác thực hai yếu tố

## Mục tiêu
Biết đặt mật khẩu mạnh.

## Các bước
### 1. Đặt mật khẩu
Dùng cụm từ dài.

## Lưu ý an toàn
Không đưa mã OTP cho ai.
"""

HEADER = """\
topic: mat-khau
topic_name: Mật khẩu mạnh và xác thực hai yếu tố
lesson: 06-mat-khau
keywords: [otp, "2fa"]
questions:
"""

# Two hand-written items that the error cases below edit.
TWO_ITEMS = """\
  - id: mat-khau-01
    question: "Mật khẩu nào mạnh nhất?"
    options: ["123456", "ngaysinh1990", "Cây-tre-làng-tôi-xanh-2025!", "Mật khẩu mặc định của nhà mạng"]
    correct: 3
    explanation: "Cụm từ dài, có ký hiệu và số là mạnh nhất."
    section: "Các bước"
    difficulty: easy
  - id: mat-khau-02
    question: "Có nên đọc mã OTP cho người gọi tự xưng là ngân hàng?"
    options: ["Có", "Không", "Có, nếu họ đọc đúng họ tên mình", "Chỉ đọc ba số đầu"]
    correct: 2
    explanation: "Không bao giờ đưa mã OTP cho bất kỳ ai."
    section: "lưu ý  an toàn"
    difficulty: medium
"""


def filler(number: int, correct: int = 1, options: tuple[str, ...] = ("Một", "Hai", "Ba", "Bốn")) -> str:
    """One valid item (options of equal length by default: the correct one is not the longest)."""
    return f"""\
  - id: mat-khau-{number:02d}
    question: "Câu hỏi số {number} về mật khẩu?"
    options: [{", ".join(f'"{o}"' for o in options)}]
    correct: {correct}
    explanation: "Giải thích câu {number}."
    section: "Các bước"
    difficulty: hard
"""


# A topic that meets every rule: eight items, one of them (13%) with the longest option correct.
GOOD_QUIZ = HEADER + TWO_ITEMS + "".join(filler(n, correct=1 + n % 4) for n in range(11, 17))


def write_tree(tmp_path, quizzes: dict[str, str], lessons: dict[str, str] | None = None):
    """Lay out knowledge/quizzes and knowledge/lessons under ``tmp_path``; return the quizzes dir."""
    quiz_dir, lesson_dir = tmp_path / "quizzes", tmp_path / "lessons"
    quiz_dir.mkdir(parents=True)
    lesson_dir.mkdir()
    for name, text in (lessons if lessons is not None else {"06-mat-khau.md": LESSON}).items():
        (lesson_dir / name).write_text(text, encoding="utf-8")
    for name, text in quizzes.items():
        (quiz_dir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return quiz_dir


def test_a_valid_bank_loads_with_topics_questions_and_lesson_citations(tmp_path):
    bank = load_bank(write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ}))

    assert list(bank.topics) == ["mat-khau"]
    topic = bank.topics["mat-khau"]
    assert topic.lesson_title == "Mật khẩu mạnh và xác thực hai yếu tố"
    assert topic.keywords == ("otp", "2fa")
    assert [q.id for q in bank.by_topic("mat-khau")][:2] == ["mat-khau-01", "mat-khau-02"]
    assert len(bank.by_topic("mat-khau")) == MIN_ITEMS_PER_LESSON
    second = bank.questions["mat-khau-02"]
    assert second.correct_index == 1
    assert second.options[second.correct_index] == "Không"
    # The section is resolved to the lesson's own heading, whatever spacing/case the author used.
    assert second.section == "Lưu ý an toàn"
    assert bank.by_topic("khong-co") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("correct: 3", "correct: 5"), "06-mat-khau.yaml: câu mat-khau-01: 'correct' = 5 nằm ngoài khoảng 1..4"),
        (("correct: 3", "correct: true"), "06-mat-khau.yaml: câu mat-khau-01: 'correct': phải là số nguyên"),
        (('section: "Các bước"', 'section: "Không có mục này"'), "câu mat-khau-01: mục 'Không có mục này' không phải"),
        (("difficulty: easy", "difficulty: trivial"), "câu mat-khau-01: 'difficulty': phải là easy, medium hoặc hard"),
        (('options: ["Có", "Không", ', 'options: ["Không", '), "câu mat-khau-02: 'options': cần đúng 4 lựa chọn (đang có 3)"),
        (
            ('options: ["Có", "Không", ', 'options: ["Có", "Nên", "Không", '),
            "câu mat-khau-02: 'options': cần đúng 4 lựa chọn (đang có 5)",
        ),
        (('options: ["Có", "Không", ', 'options: ["Có", "có", '), "câu mat-khau-02: 'options': có hai lựa chọn giống nhau"),
        (('options: ["Có", "Không", ', "options: [yes, no, "), "câu mat-khau-02: 'options.0': phải là chuỗi văn bản"),
        (("id: mat-khau-02", "id: mat-khau-01"), "câu mat-khau-01: id trùng với một câu trong 06-mat-khau.yaml"),
        (("id: mat-khau-02", "id: vneid-02"), "câu vneid-02: id phải có dạng mat-khau-NN"),
        (
            ('    explanation: "Không bao', '    explain: "Không bao'),
            "câu mat-khau-02: 'explain': trường không được phép",
        ),
        (("lesson: 06-mat-khau", "lesson: 99-khong-co"), "06-mat-khau.yaml: bài học '99-khong-co' không có trong"),
        (("  - id: mat-khau-02\n", "  - \n"), "06-mat-khau.yaml: câu thứ 2: 'id': thiếu trường bắt buộc"),
    ],
)
def test_each_error_names_the_file_and_the_item(tmp_path, change, expected):
    old, new = change
    assert old in GOOD_QUIZ
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ.replace(old, new, 1)})

    errors = validate_dir(quiz_dir)

    assert any(expected in error for error in errors), errors
    with pytest.raises(QuizBankError) as raised:
        load_bank(quiz_dir)
    assert raised.value.errors == errors


def test_errors_of_several_items_and_files_are_all_reported(tmp_path):
    broken = GOOD_QUIZ.replace("correct: 3", "correct: 9", 1).replace("difficulty: medium", "difficulty: x")
    quiz_dir = write_tree(
        tmp_path,
        {"06-mat-khau.yaml": broken, "07-other.yaml": "topic: [not, a, string\n", "08-list.yaml": "- a\n- b\n"},
    )

    errors = validate_dir(quiz_dir)

    assert any("câu mat-khau-01" in e and "'correct' = 9" in e for e in errors)
    assert any("câu mat-khau-02" in e and "'difficulty'" in e for e in errors)
    assert any(e.startswith("07-other.yaml: YAML không hợp lệ (dòng") for e in errors)
    assert any(e.startswith("08-list.yaml: tệp phải là một bảng") for e in errors)


def test_a_topic_may_have_only_one_file(tmp_path):
    copy = GOOD_QUIZ.replace("mat-khau-01", "mat-khau-03").replace("mat-khau-02", "mat-khau-04")
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ, "06-mat-khau-copy.yaml": copy})

    assert validate_dir(quiz_dir) == ["06-mat-khau.yaml: chủ đề 'mat-khau' đã có trong 06-mat-khau-copy.yaml"]


def test_a_question_text_may_appear_only_once(tmp_path):
    same_text = GOOD_QUIZ.replace("Mật khẩu nào mạnh nhất?", "Có nên đọc mã OTP cho người gọi tự xưng là ngân hàng?")
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": same_text})

    assert validate_dir(quiz_dir) == ["06-mat-khau.yaml: câu mat-khau-02: nội dung câu hỏi trùng với câu mat-khau-01"]


def test_the_quiz_topic_must_match_the_lesson_topic(tmp_path):
    other_topic = LESSON.replace("topic: mat-khau", "topic: vneid")
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ}, {"06-mat-khau.md": other_topic})

    assert validate_dir(quiz_dir) == [
        "06-mat-khau.yaml: chủ đề 'mat-khau' khác chủ đề 'vneid' của bài 06-mat-khau"
    ]


def test_an_empty_or_missing_directory_is_an_error_for_validation(tmp_path):
    assert validate_dir(write_tree(tmp_path, {})) == [f"{tmp_path / 'quizzes'}: không có tệp trắc nghiệm .yaml nào"]
    assert "không tồn tại" in validate_dir(tmp_path / "nowhere")[0]
    assert load_bank(tmp_path / "quizzes").questions == {}


@pytest.mark.parametrize(
    "option",
    ["Tất cả đều đúng", "tat ca deu sai", "Cả ba ý trên đều đúng.", "Cả A và B", "Không có đáp án nào đúng",
     "Tất cả các phương án trên"],
)
def test_options_that_speak_about_the_other_options_are_refused(tmp_path, option):
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ.replace('"Chỉ đọc ba số đầu"', f'"{option}"')})

    errors = validate_dir(quiz_dir)

    assert len(errors) == 1 and "câu mat-khau-02: 'options': lựa chọn" in errors[0], errors
    assert "nói về các lựa chọn khác" in errors[0]


@pytest.mark.parametrize("option", ["Kẻ gian vào được tất cả tài khoản khác", "Mọi người đều đúng giờ"])
def test_ordinary_options_with_similar_words_are_accepted(tmp_path, option):
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ.replace('"Chỉ đọc ba số đầu"', f'"{option}"')})

    assert validate_dir(quiz_dir) == []


def test_a_lesson_needs_enough_items(tmp_path):
    short = HEADER + TWO_ITEMS + "".join(filler(n) for n in range(11, 11 + MIN_ITEMS_PER_LESSON - 3))
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": short})

    assert validate_dir(quiz_dir) == [f"bài 06-mat-khau: có 7 câu, cần ít nhất {MIN_ITEMS_PER_LESSON}"]
    # The bots can still load a small bank: the count is a rule for authors, checked by validation.
    assert validate_dir(quiz_dir, standards=False) == []
    assert len(load_bank(quiz_dir).questions) == 7


def test_the_correct_option_may_be_the_longest_in_at_most_thirty_percent_of_items(tmp_path):
    longest = ("Ngắn", "Ngắn hơn", "Ngắn nữa", "Dài nhất trong bốn lựa chọn")
    # Item 01 already has a longer wrong option; two of eight (25%) with the longest right is allowed.
    allowed = HEADER + TWO_ITEMS + filler(11, 4, longest) + filler(12, 4, longest)
    allowed += "".join(filler(n) for n in range(13, 17))
    assert validate_dir(write_tree(tmp_path / "a", {"06-mat-khau.yaml": allowed})) == []

    # Three of eight (38%) is refused, naming the items; a tie for the longest does not count.
    too_many = allowed.replace(filler(13), filler(13, 4, longest)).replace(
        filler(14), filler(14, 1, ("Dài ngang nhau", "Dài ngang nhau!", "Ngắn", "Ngắn hơn"))
    )
    tie = too_many.replace('"Dài ngang nhau!"', '"Dài ngang nhau?"')
    errors = validate_dir(write_tree(tmp_path / "b", {"06-mat-khau.yaml": tie}))
    assert MAX_CORRECT_LONGEST_SHARE == 0.30
    assert len(errors) == 1, errors
    assert errors[0].startswith("3/8 câu (38%) có đáp án đúng dài nhất, tối đa 30%")
    assert errors[0].endswith("mat-khau-11, mat-khau-12, mat-khau-13")


def test_the_report_counts_topics_difficulty_positions_and_longest_answers(tmp_path):
    longest = ("Ngắn", "Ngắn hơn", "Ngắn nữa", "Dài nhất trong bốn lựa chọn")
    quiz = HEADER + TWO_ITEMS + filler(11, 4, longest) + filler(12, 3)
    quiz += "".join(filler(n, correct=1) for n in range(13, 17))
    bank = load_bank(write_tree(tmp_path, {"06-mat-khau.yaml": quiz}))

    report = describe_bank(bank)

    assert report[0] == "Số câu theo chủ đề:"
    assert report[1] == "  mat-khau\t8 câu\tdễ/vừa/khó 1/1/6\tđáp án dài nhất 1"
    assert report[2] == "Độ khó: easy: 1 (12%), medium: 1 (12%), hard: 6 (75%)"
    assert report[3] == "Vị trí đáp án đúng: A: 4 (50%), B: 1 (12%), C: 2 (25%), D: 1 (12%)"
    assert report[4] == "Đáp án đúng dài nhất: 1/8 câu (12%; tối đa 30%)"
    # "Ba" (item 12) is the only correct option shorter than all the others.
    assert report[5] == "Đáp án đúng ngắn nhất: 1/8 câu (12%)"


def test_the_shipped_bank_is_valid_and_covers_every_lesson_topic():
    quiz_dir = PACKAGE_KNOWLEDGE_DIR / "quizzes"

    assert validate_dir(quiz_dir) == []
    bank = load_bank(quiz_dir)
    assert len(bank.questions) >= 108
    assert len(bank.topics) >= 12
    assert all(len(topic.question_ids) >= MIN_ITEMS_PER_LESSON for topic in bank.topics.values())
    assert all(len(q.options) == 4 for q in bank.questions.values())


def test_cli_validate_exits_non_zero_and_names_the_item(tmp_path):
    bad = write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ.replace("correct: 2", "correct: 0", 1)})
    runner = CliRunner()

    failed = runner.invoke(main, ["quiz", "validate", str(bad)])
    assert failed.exit_code == 1
    assert "06-mat-khau.yaml: câu mat-khau-02: 'correct' = 0 nằm ngoài khoảng 1..4" in failed.output

    passed = runner.invoke(main, ["quiz", "validate"])
    assert passed.exit_code == 0, passed.output
    assert passed.output.startswith("Hợp lệ: ")
    assert "\nĐộ khó: easy: " in passed.output
    assert "\nĐáp án đúng dài nhất: " in passed.output


def test_cli_validate_fails_on_a_bank_rule_and_still_prints_the_report(tmp_path):
    short = HEADER + TWO_ITEMS + filler(11)
    result = CliRunner().invoke(main, ["quiz", "validate", str(write_tree(tmp_path, {"06-mat-khau.yaml": short}))])

    assert result.exit_code == 1
    assert f"bài 06-mat-khau: có 3 câu, cần ít nhất {MIN_ITEMS_PER_LESSON}" in result.output
    assert "  mat-khau\t3 câu\t" in result.output
    assert "Đáp án đúng dài nhất: 0/3 câu (0%; tối đa 30%)" in result.output


def test_cli_topics_lists_each_topic_with_its_question_count(tmp_path):
    quiz_dir = write_tree(tmp_path, {"06-mat-khau.yaml": GOOD_QUIZ})

    result = CliRunner().invoke(main, ["quiz", "topics", str(quiz_dir)])

    assert result.exit_code == 0, result.output
    assert result.output == "mat-khau\t8 câu\tMật khẩu mạnh và xác thực hai yếu tố (bài 06-mat-khau)\n"
