"""Parsing what users type and press: commands with/without slash and diacritics, choices, payloads, topics."""

from __future__ import annotations

import unicodedata

import pytest

from bot import commands as cmd
from bot.commands import Command, match_topics, parse_payload, parse_text
from bot.identity import pseudonym
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR
from knowledge.quizbank import load_bank


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", Command(cmd.START)),
        ("/start@HocVuSoBot", Command(cmd.START)),
        ("bắt đầu", Command(cmd.START)),
        ("bat dau", Command(cmd.START)),
        ("Xin chào!", Command(cmd.START)),
        ("/help", Command(cmd.HELP)),
        ("trợ giúp", Command(cmd.HELP)),
        ("tro giup", Command(cmd.HELP)),
        ("/quiz", Command(cmd.QUIZ)),
        ("/quiz@HocVuSoBot mật khẩu", Command(cmd.QUIZ, "mật khẩu")),
        ("quiz", Command(cmd.QUIZ)),
        ("Quiz lua dao", Command(cmd.QUIZ, "lua dao")),
        ("trắc nghiệm VNeID", Command(cmd.QUIZ, "VNeID")),
        ("làm bài trắc nghiệm", Command(cmd.QUIZ)),
        ("/chude", Command(cmd.TOPICS)),
        ("chủ đề", Command(cmd.TOPICS)),
        ("chu de", Command(cmd.TOPICS)),
        ("/ketqua", Command(cmd.RESULTS)),
        ("kết quả", Command(cmd.RESULTS)),
        ("ket qua", Command(cmd.RESULTS)),
        ("KẾT QUẢ CỦA TÔI", Command(cmd.RESULTS)),
        ("/donvi Xã Nghĩa Trung", Command(cmd.UNIT, "Xã Nghĩa Trung")),
        ("/donvi", Command(cmd.UNIT)),
        ("don vi Xã Nghĩa Trung", Command(cmd.UNIT, "Xã Nghĩa Trung")),
        ("đơn vị: Trường THCS Nghĩa Trung", Command(cmd.UNIT, "Trường THCS Nghĩa Trung")),
        ("đơn vị UBND xã Nghĩa Trung", Command(cmd.UNIT, "UBND xã Nghĩa Trung")),
        ("/huy", Command(cmd.CANCEL)),
        ("hủy", Command(cmd.CANCEL)),
        ("huy", Command(cmd.CANCEL)),
        # Vietnamese aliases, with and without slash and diacritics.
        ("/tracnghiem", Command(cmd.QUIZ)),
        ("/tracnghiem lừa đảo", Command(cmd.QUIZ, "lừa đảo")),
        ("trac nghiem lua dao", Command(cmd.QUIZ, "lua dao")),
        ("/huongdan", Command(cmd.HELP)),
        ("hướng dẫn", Command(cmd.HELP)),
        ("huong dan", Command(cmd.HELP)),
        ("/batdau", Command(cmd.START)),
        ("/tieptuc", Command(cmd.RESUME)),
        ("tiếp tục", Command(cmd.RESUME)),
        ("lam tiep", Command(cmd.RESUME)),
        ("/donvi p. Vĩnh Phú", Command(cmd.UNIT, "p. Vĩnh Phú")),
        ("khai báo đơn vị Phường Vĩnh Phú", Command(cmd.UNIT, "Phường Vĩnh Phú")),
        ("/xyz", Command(cmd.UNKNOWN, "xyz")),
        ("", Command(cmd.EMPTY)),
        ("   ", Command(cmd.EMPTY)),
    ],
)
def test_commands_are_recognised_with_or_without_slash_and_diacritics(text, expected):
    assert parse_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "VNeID là gì?",
        "đơn vị nào chủ trì kế hoạch",  # "đơn vị" + not a unit name: a question
        "don vi thuc hien ke hoach la ai",
        "kết quả thi đua được đánh giá thế nào",
        "hủy tài khoản VNeID như thế nào?",
        "binh dan hoc vu so la gi",
        "quiz?",
        "ạ",  # folds to "a" but is not the letter A
    ],
)
def test_other_text_is_a_question(text):
    assert parse_text(text) == Command(cmd.QUESTION, text)


@pytest.mark.parametrize(
    ("text", "about_quiz"),
    [
        ("câu này chọn cái nào", True),
        ("cau nay chon cai nao v ad", True),
        ("Đáp án là gì vậy?", True),
        ("gợi ý đi", True),
        ("VNeID mức 2 đăng ký ở đâu?", False),
        ("cách chọn mật khẩu mạnh", False),
        ("không biết đăng ký dịch vụ công thế nào", False),
    ],
)
def test_messages_about_the_quiz_itself_are_told_apart_from_questions(text, about_quiz):
    assert cmd.refers_to_quiz(text) is about_quiz


def test_questions_are_normalised_to_nfc_and_single_spaces():
    decomposed = unicodedata.normalize("NFD", "Cách  đặt mật khẩu?")

    assert parse_text(decomposed) == Command(cmd.QUESTION, "Cách đặt mật khẩu?")


@pytest.mark.parametrize(
    ("text", "option"),
    [("1", 0), ("4", 3), ("B", 1), ("c", 2), ("d)", 3), ("2.", 1), ("đáp án C", 2), ("chọn 3", 2), ("dap an a", 0)],
)
def test_typed_choices_give_the_zero_based_option(text, option):
    assert parse_text(text) == Command(cmd.CHOICE, option=option)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("menu:help", Command(cmd.HELP)),
        ("menu:topics", Command(cmd.TOPICS)),
        ("quiz:start", Command(cmd.QUIZ)),
        ("quiz:start:lua-dao", Command(cmd.QUIZ, "lua-dao")),
        ("quiz:restart", Command(cmd.RESTART)),
        ("quiz:restart:vneid", Command(cmd.RESTART, "vneid")),
        ("quiz:resume", Command(cmd.RESUME)),
        ("quiz:ans:12:3:1", Command(cmd.ANSWER, attempt_id=12, position=3, option=1)),
        ("quiz:ans:12:1", Command(cmd.ANSWER, attempt_id=12, option=1)),
        ("quiz:ans:x:1", Command(cmd.UNKNOWN, "quiz:ans:x:1")),
        ("menu:drop-tables", Command(cmd.UNKNOWN, "menu:drop-tables")),
        ("other", Command(cmd.UNKNOWN, "other")),
    ],
)
def test_payloads_parse_back_into_commands(payload, expected):
    assert parse_payload(payload) == expected


def test_built_payloads_are_ascii_within_telegram_limit_and_round_trip():
    long_topic = "dien-thoai-thong-minh"
    payloads = [
        cmd.answer_payload(2_147_483_647, 99, 3),
        cmd.quiz_start_payload(long_topic),
        cmd.quiz_restart_payload(long_topic),
        cmd.menu_payload(cmd.RESULTS),
        cmd.QUIZ_RESUME_PAYLOAD,
    ]
    for payload in payloads:
        assert payload.isascii() and len(payload.encode()) <= 64
        assert parse_payload(payload).name != cmd.UNKNOWN
    assert parse_payload(cmd.answer_payload(7, 2, 3)) == Command(cmd.ANSWER, attempt_id=7, position=2, option=3)


@pytest.fixture(scope="module")
def topics():
    return list(load_bank(PACKAGE_KNOWLEDGE_DIR / "quizzes").topics.values())


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("vneid", "vneid"),
        ("VNeID", "vneid"),
        ("lua dao", "lua-dao"),
        ("lừa đảo", "lua-dao"),
        ("lua-dao", "lua-dao"),
        ("mat khau", "mat-khau"),
        ("Mật khẩu", "mat-khau"),
        ("chủ đề tin giả", "tin-gia"),
        ("về dịch vụ công", "dich-vu-cong"),
        ("dich vu cong", "dich-vu-cong"),
        ("ban hang truc tuyen", "ban-hang-truc-tuyen"),
    ],
)
def test_topics_are_matched_by_id_name_or_words_without_diacritics(topics, query, topic):
    assert [t.id for t in match_topics(query, topics)] == [topic]


def test_an_ambiguous_or_unknown_topic_gives_several_or_none(topics):
    assert len(match_topics("an toàn", topics)) > 1
    assert match_topics("nấu ăn", topics) == []
    assert match_topics("", topics) == []


def test_pseudonyms_are_stable_keyed_and_per_channel():
    first = pseudonym("bi-mat", "telegram", "12345")

    assert first == pseudonym("bi-mat", "telegram", "12345")
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != pseudonym("bi-mat", "zalo", "12345")
    assert first != pseudonym("khac", "telegram", "12345")
    assert "12345" not in first
