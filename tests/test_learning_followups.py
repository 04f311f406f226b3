"""Follow-up questions ("còn ở Hà Tĩnh thì sao?", "thế còn mức 1?") answered with the user's
previous question: the rule, the combined question, and the chat path on the real knowledge base
(Telegram and Zalo through the durable path, the terminal chat), with the context in the database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixtures_channels import (
    chat_services,  # noqa: F401 (fixture)
    deliver,
    knowledge_data_dir,  # noqa: F401 (fixture)
    telegram_text_update,
    zalo_update,
)
from sqlalchemy import select

from bot import texts
from bot.channels import telegram as telegram_channel
from bot.channels import zalo as zalo_channel
from bot.channels.terminal import TerminalChat
from bot.core import Assistant
from bot.followup import Followups
from bot.messages import IncomingMessage
from hocvuso.db.models import RecentQuestion

PLACES = ["tỉnh Hà Tĩnh", "tỉnh Nghệ An", "xã Nghĩa Trung", "tỉnh Đồng Tháp"]
NGHE_AN = "Kế hoạch của tỉnh Nghệ An giao cơ quan nào chủ trì?"
LEVEL_2 = "cách đăng ký tài khoản VNeID mức 2"


@pytest.mark.parametrize("previous, message, combined", [
    # A place for a place: the kind word stays when only the name is given.
    (NGHE_AN, "còn ở Hà Tĩnh thì sao?", "Kế hoạch của tỉnh Hà Tĩnh giao cơ quan nào chủ trì?"),
    (NGHE_AN, "con xa nghia trung thi sao", "Kế hoạch của xã Nghĩa Trung giao cơ quan nào chủ trì?"),
    (NGHE_AN, "vậy còn Đồng Tháp?", "Kế hoạch của tỉnh Đồng Tháp giao cơ quan nào chủ trì?"),
    (NGHE_AN, "Hà Tĩnh thì thế nào ạ", "Kế hoạch của tỉnh Hà Tĩnh giao cơ quan nào chủ trì?"),
    ("ke hoach nghe an ai chu tri", "the con ha tinh", "ke hoach tỉnh Hà Tĩnh ai chu tri"),
    # A place of the documents comes with its own kind; another province keeps the kind word before.
    ("Kế hoạch xã Nghĩa Trung khen thưởng những ai?", "thế còn ở Nghệ An", "Kế hoạch tỉnh Nghệ An khen thưởng những ai?"),
    (NGHE_AN, "còn Hà Giang thì sao", "Kế hoạch của tỉnh Hà Giang giao cơ quan nào chủ trì?"),
    # A level for a level, a year for a year.
    (LEVEL_2, "thế còn mức 1?", "cách đăng ký tài khoản VNeID mức 1"),
    (LEVEL_2, "còn mức 1 nữa", "cách đăng ký tài khoản VNeID mức 1"),
    (LEVEL_2, "muc 1?", "cách đăng ký tài khoản VNeID muc 1"),
    ("mục tiêu đến năm 2025 là gì", "còn năm 2030 thì sao", "mục tiêu đến năm 2030 là gì"),
    # Nothing of the same kind before: the previous question followed by the new words.
    ("VNeID là gì?", "thế còn mức 2?", "VNeID là gì mức 2"),
    ("đăng ký VNeID cần giấy tờ gì", "trẻ em thì sao?", "đăng ký VNeID cần giấy tờ gì trẻ em"),
])
def test_a_follow_up_becomes_the_previous_question_with_the_new_thing(previous, message, combined):
    assert Followups(10, PLACES).combine(previous, message) == combined


@pytest.mark.parametrize("message", [
    "VNeID là gì?",                               # a question of its own
    "Còn bao lâu nữa thì hết hạn nộp báo cáo?",   # starts with "còn", but long and complete
    "con toi 10 tuoi lam vneid duoc khong",       # "con" is a child here
    "con nhỏ làm VNeID được không",
    "mất điện thoại thì sao?",                    # "thì sao" after three words of its own
    "cảm ơn",
    "Hà Tĩnh?",                                   # short, but the previous question names no place
])
def test_questions_of_their_own_stay_as_they_are(message):
    assert Followups(10, PLACES).combine("VNeID là gì?", message) is None


def test_no_question_of_the_benchmark_sets_is_taken_for_a_follow_up():
    """Each question of these sets stands alone: none may be rewritten, whatever was asked before."""
    root = Path(__file__).resolve().parents[1] / "benchmarks"
    questions = [json.loads(line)["question"] for name in ("questions-extra.jsonl", "questions-nearmiss.jsonl")
                 for line in (root / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    followups = Followups(10, PLACES)
    assert len(questions) > 50
    for previous in (NGHE_AN + " năm 2025", LEVEL_2, "VNeID là gì?"):
        assert [q for q in questions if followups.combine(previous, q)] == []


@pytest.fixture
def services(chat_services):  # noqa: F811
    return chat_services


def expected_reply(services, combined: str) -> str:
    """What the assistant says to a follow-up: the combined question, then the knowledge base's answer to it."""
    answer = services.kb.ask(combined)
    assert answer.found
    return f"{texts.followup_understood(combined)}\n{answer.answer.strip()}"


def test_telegram_follow_ups_use_the_previous_question(services):
    fake = services.fake_telegram

    def send(text: str) -> str:
        before = len(fake.sent())
        deliver(services, telegram_channel, telegram_text_update(next(services.update_ids), 555001, text))
        return fake.sent()[before]["text"]

    assert "Kế hoạch tỉnh Nghệ An" in send(NGHE_AN)
    combined = "Kế hoạch của tỉnh Hà Tĩnh giao cơ quan nào chủ trì?"
    reply = send("còn ở Hà Tĩnh thì sao?")
    assert reply.startswith(expected_reply(services, combined))
    assert "Kế hoạch tỉnh Hà Tĩnh" in reply.split("<b>Nguồn:</b>")[1]
    # The combined question is the context of the next follow-up.
    reply = send("con xa nghia trung thi sao")
    assert reply.startswith(texts.followup_understood("Kế hoạch của xã Nghĩa Trung giao cơ quan nào chủ trì?"))
    assert "Kế hoạch xã Nghĩa Trung" in reply.split("<b>Nguồn:</b>")[1]


def test_zalo_and_terminal_follow_ups_on_a_level(services):
    def zalo(text: str) -> str:
        before = len(services.fake_zalo.sent())
        deliver(services, zalo_channel, zalo_update(f"m{next(services.update_ids)}", "zalo-user-3", text))
        return services.fake_zalo.sent()[before]["text"]

    zalo(LEVEL_2)
    reply = zalo("thế còn mức 1?")
    assert reply.startswith(expected_reply(services, "cách đăng ký tài khoản VNeID mức 1"))
    assert "VNeID, mục «2. Đăng ký tài khoản»" in reply

    out: list[str] = []
    chat = TerminalChat(services.assistant, "terminal-user-3", out.append)
    chat.send("Kế hoạch của tỉnh Đồng Tháp giao cơ quan nào chủ trì?")
    chat.send("vậy còn Nghệ An?")
    assert out[-1].startswith("Trợ lý: " + expected_reply(services, NGHE_AN))


def test_the_context_is_in_the_database_pseudonymous_and_shared_by_workers(services):
    settings = services.settings
    first = Assistant(services.kb, services.db, settings)
    second = Assistant(services.kb, services.db, settings)  # another worker: nothing shared in memory
    first.handle(IncomingMessage(channel="zalo", user_id="84900000001", text=NGHE_AN + " cccd 012345678901"))
    reply = second.handle(IncomingMessage(channel="zalo", user_id="84900000001", text="còn ở Hà Tĩnh thì sao?"))
    assert reply[0].text.startswith(texts.followup_understood(
        "Kế hoạch của tỉnh Hà Tĩnh giao cơ quan nào chủ trì? cccd [số giấy tờ]"))
    with services.db.session() as session:
        (row,) = session.scalars(select(RecentQuestion)).all()
    assert row.user != "84900000001" and len(row.user) == 64 and "012345678901" not in row.question
    # Another person's follow-up has no context: it is answered as it stands.
    alone = second.handle(IncomingMessage(channel="zalo", user_id="84900000002", text="còn ở Hà Tĩnh thì sao?"))
    assert not alone[0].text.startswith("(Trợ lý hiểu")


def test_the_context_lasts_a_few_minutes_and_can_be_turned_off(services):
    now = [datetime(2026, 12, 1, 8, 0, tzinfo=UTC)]
    assistant = Assistant(services.kb, services.db, services.settings, clock=lambda: now[0])

    def ask(text: str) -> str:
        return assistant.handle(IncomingMessage(channel="zalo", user_id="u-window", text=text))[0].text

    ask(LEVEL_2)
    now[0] += timedelta(minutes=9)
    assert ask("thế còn mức 1?").startswith("(Trợ lý hiểu")
    now[0] += timedelta(minutes=11)
    assert not ask("thế còn mức 2?").startswith("(Trợ lý hiểu")  # too late: answered as it stands

    off = services.settings.model_copy(update={"followup_minutes": 0})
    quiet = Assistant(services.kb, services.db, off, clock=lambda: now[0])
    quiet.handle(IncomingMessage(channel="zalo", user_id="u-off", text=LEVEL_2))
    reply = quiet.handle(IncomingMessage(channel="zalo", user_id="u-off", text="thế còn mức 1?"))
    assert not reply[0].text.startswith("(Trợ lý hiểu")


def test_small_talk_and_commands_do_not_replace_the_context(services):
    assistant = Assistant(services.kb, services.db, services.settings)

    def ask(text: str) -> str:
        return assistant.handle(IncomingMessage(channel="zalo", user_id="u-talk", text=text))[0].text

    ask(NGHE_AN)
    ask("cảm ơn ad")
    ask("/ketqua")
    assert ask("còn ở Hà Tĩnh thì sao?").startswith(
        texts.followup_understood("Kế hoạch của tỉnh Hà Tĩnh giao cơ quan nào chủ trì?"))
