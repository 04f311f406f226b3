"""What people type, the same on every chat channel: Vietnamese command aliases, the scope
replies of the knowledge base, and a message in the middle of a quiz.

Real assistant core, real knowledge base (lexical) and SQLite, through each adapter:
Telegram and Zalo through the durable path (inbox, worker, outbox) against the fake Bot API
servers on loopback, and the terminal chat.
"""

from __future__ import annotations

import asyncio

import pytest
from fixtures_channels import (
    chat_services,  # noqa: F401 (fixture)
    deliver,
    knowledge_data_dir,  # noqa: F401 (fixture)
    telegram_text_update,
    zalo_update,
)

from bot import texts
from bot.channels import telegram as telegram_channel
from bot.channels import zalo as zalo_channel
from bot.channels.terminal import TerminalChat

USER = 777001


@pytest.fixture
def services(chat_services):  # noqa: F811
    return chat_services


def telegram(services, *messages: str) -> list[list[dict]]:
    """Send ``messages`` through the Telegram adapter; the messages sent back for each, in order."""
    fake = services.fake_telegram
    replies = []
    for text in messages:
        before = len(fake.sent())
        deliver(services, telegram_channel, telegram_text_update(next(services.update_ids), USER, text))
        replies.append(fake.sent()[before:])
    return replies


def zalo(services, *messages: str) -> list[list[str]]:
    """Send ``messages`` through the Zalo adapter; the texts sent back for each, in order."""
    fake = services.fake_zalo
    replies = []
    for text in messages:
        before = len(fake.sent())
        deliver(services, zalo_channel, zalo_update(f"m{next(services.update_ids)}", "zalo-user-1", text))
        replies.append([params["text"] for params in fake.sent()[before:]])
    return replies


def terminal(services, *messages: str) -> list[str]:
    """Send ``messages`` through the terminal chat; what it printed for each."""
    replies: list[str] = []
    out: list[str] = []
    chat = TerminalChat(services.assistant, "terminal-user-1", out.append)
    for text in messages:
        out.clear()
        chat.send(text)
        replies.append("".join(out))
    return replies


def test_telegram_publishes_and_understands_the_vietnamese_commands(services):
    asyncio.run(telegram_channel.publish_commands(services.settings))
    published = [c["command"] for c in services.fake_telegram.sent("setMyCommands")[0]["commands"]]
    assert {"tracnghiem", "huongdan", "chude", "ketqua", "donvi"} <= set(published)
    assert not {"quiz", "help", "start"} & set(published)

    help_, topics, quiz, results = telegram(services, "/huongdan", "/chude", "/tracnghiem lừa đảo", "/ketqua")
    assert help_[0]["text"].startswith("Cách dùng Trợ lý")
    assert "Công dân số:" in topics[0]["text"]
    numbers = [k["text"] for row in topics[0]["reply_markup"]["inline_keyboard"] for k in row]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)]
    assert quiz[0]["text"].startswith("Bắt đầu bài trắc nghiệm chủ đề “Nhận diện và xử lý lừa đảo")
    assert results[0]["text"] == texts.NO_RESULTS + "\n" + texts.unit_current(None)


@pytest.mark.parametrize("send", [zalo, terminal], ids=["zalo", "terminal"])
def test_aliases_work_without_slash_and_without_diacritics(services, send):
    replies = send(services, "huong dan", "chủ đề", "don vi xa nghia trung", "trac nghiem vneid")
    help_, topics, unit, quiz = ("\n".join(reply) if isinstance(reply, list) else reply for reply in replies)

    assert "Cách dùng Trợ lý" in help_
    assert "Công dân số:" in topics and "(Gõ số từ 1 đến" in topics
    assert texts.unit_registered("Xã Nghĩa Trung") in unit
    assert "Bắt đầu bài trắc nghiệm chủ đề “Tài khoản định danh điện tử VNeID”" in quiz


def test_greetings_thanks_and_out_of_scope_keep_their_own_replies_on_every_channel(services):
    messages = ("alo", "cảm ơn ad", "thời tiết hôm nay thế nào")
    expected = [services.kb.ask(m).answer for m in messages]
    assert all(expected) and texts.NOT_FOUND not in expected and len(set(expected)) >= 2

    assert [sent[0]["text"] for sent in telegram(services, *messages)] == expected
    assert [sent[0] for sent in zalo(services, *messages)] == expected
    assert [out.removeprefix("Trợ lý: ").rstrip("\n") for out in terminal(services, *messages)] == expected


def test_a_message_about_the_quiz_gets_the_pending_question_on_every_channel(services):
    _, (hint, again) = telegram(services, "/tracnghiem vneid", "câu này chọn cái nào")
    assert hint["text"].startswith("Bà con đang làm bài trắc nghiệm")
    assert again["text"].startswith("Câu 1/5 · ") and again["reply_markup"]["inline_keyboard"]

    _, pending = zalo(services, "trac nghiem vneid", "cau nay chon cai nao")
    assert pending[0].startswith("Bà con đang làm bài trắc nghiệm") and pending[1].startswith("Câu 1/5 · ")
    assert "(Gõ số từ 1 đến" in pending[1]

    start, pending, answered = terminal(services, "/tracnghiem", "câu này chọn cái nào", "1")
    question = start.split("Trợ lý: ")[-1]
    assert pending.split("Trợ lý: ")[-1] == question  # the same question, again
    assert answered.startswith(("Trợ lý: ✅", "Trợ lý: ❌"))


def test_a_clear_question_during_a_quiz_is_still_answered(services):
    question = "VNeID là gì?"
    answer = services.kb.ask(question)
    assert answer.found

    _, reply = zalo(services, "trac nghiem mat khau", question)

    assert reply[0].startswith(answer.answer.strip())
    assert texts.quiz_resume_hint(0, 5) in reply[0]
