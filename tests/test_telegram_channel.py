"""The Telegram adapter: updates stored in the inbox, processed by the worker, the
replies sent from the outbox to a fake Bot API on loopback.

The assistant here is a tiny stand-in with the core's shape; the end-to-end tests
use the real core.
"""

from __future__ import annotations

import logging
from functools import cached_property

import pytest
from fixtures_channels import (
    BOT_TOKEN,
    FakeTelegramApi,
    deliver,
    telegram_button_update,
    telegram_text_update,
)

from bot.channels import relay, telegram
from bot.channels.telegram import MESSAGE_LIMIT
from bot.core import AssistantUnavailable
from bot.delivery import outbox
from bot.messages import Button, Citation, IncomingMessage, Reply
from hocvuso.services import Services
from hocvuso.settings import load_settings

USER = 4242


class TinyAssistant:
    """Core-shaped stand-in: answers by simple rules and remembers what it was handed."""

    def __init__(self):
        self.seen: list[IncomingMessage] = []

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        self.seen.append(msg)
        if msg.payload is not None:
            return [Reply(f"Bạn chọn {msg.payload}")]
        if msg.text == "/start":
            return [Reply("Chào <bạn> & chúc học tốt", buttons=[
                Button("Làm trắc nghiệm", "menu:quiz"), Button("Trợ giúp", "menu:help"),
            ])]
        if msg.text == "hỏng":
            raise AssistantUnavailable("kho tri thức chưa mở")
        if msg.text == "lỗi":
            raise RuntimeError("lỗi lập trình")
        if msg.text == "dài":
            paragraph = "Đoạn văn về kỹ năng số <b>không phải thẻ</b>. " * 30
            buttons = [Button("1", "quiz:ans:1:0:0"), Button("2", "quiz:ans:1:0:1")]
            return [Reply("\n\n".join([paragraph] * 12), buttons=buttons)]
        return [Reply(f"Bạn hỏi: {msg.text}", citations=[Citation("Kế hoạch <số 1> & 2", "I. Mục tiêu")])]


class TinyServices(Services):
    """Real settings and database; the tiny assistant instead of the core."""

    @cached_property
    def assistant(self):
        return TinyAssistant()


@pytest.fixture
def fake():
    with FakeTelegramApi() as server:
        yield server


@pytest.fixture
def services(tmp_path, fake):
    settings = load_settings(data_dir=tmp_path, telegram={"token": BOT_TOKEN, "base_url": fake.url})
    services = TinyServices(settings)
    services.fake = fake
    yield services
    services.close()


def run(services, *updates: dict) -> FakeTelegramApi:
    """Store, process and answer ``updates`` in order; return the fake Bot API that got the calls."""
    deliver(services, telegram, *updates)
    return services.fake


def test_start_sends_escaped_html_with_an_inline_keyboard(services):
    request = run(services, telegram_text_update(1, USER, "/start"))
    [sent] = request.sent()
    assert sent["chat_id"] == USER
    assert sent["parse_mode"] == "HTML"
    assert sent["text"] == "Chào &lt;bạn&gt; &amp; chúc học tốt"
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert [[key["callback_data"] for key in row] for row in keyboard] == [["menu:quiz"], ["menu:help"]]
    assert keyboard[0][0]["text"] == "Làm trắc nghiệm"
    [msg] = services.assistant.seen
    assert msg == IncomingMessage(channel="telegram", user_id=str(USER), text="/start", update_id="1",
                                  chat_id=str(USER))


def test_answer_lists_its_sources_escaped(services):
    request = run(services, telegram_text_update(1, USER, "binh dan hoc vu so la gi"))
    [sent] = request.sent()
    assert sent["text"].startswith("Bạn hỏi: binh dan hoc vu so la gi")
    assert "<b>Nguồn:</b>\n• <i>Kế hoạch &lt;số 1&gt; &amp; 2</i> › I. Mục tiêu" in sent["text"]


def test_button_press_is_answered_and_its_keyboard_retired(services):
    request = run(services, telegram_button_update(7, USER, "menu:quiz", message_id=55))
    [msg] = services.assistant.seen
    assert msg.payload == "menu:quiz" and msg.text == "" and msg.update_id == "7"
    assert request.sent("answerCallbackQuery") == [{"callback_query_id": "cb7"}]
    [edit] = request.sent("editMessageReplyMarkup")
    assert edit["message_id"] == 55 and edit["chat_id"] == USER
    assert [s["text"] for s in request.sent()] == ["Bạn chọn menu:quiz"]


def test_group_command_loses_the_bot_name(services):
    run(services, telegram_text_update(1, USER, "/quiz@TroLyBdhvsBot lừa đảo"))
    assert services.assistant.seen[0].text == "/quiz lừa đảo"


def test_repeated_update_id_is_processed_once(services):
    update = telegram_text_update(9, USER, "câu hỏi")
    request = run(services, update, update, telegram_button_update(10, USER, "menu:help"),
                  telegram_button_update(10, USER, "menu:help"))
    assert [m.update_id for m in services.assistant.seen] == ["9", "10"]
    assert len(request.sent()) == 2


def test_failures_get_an_apology_and_the_bot_keeps_going(services, caplog):
    caplog.set_level(logging.INFO)
    request = run(services, telegram_text_update(21, USER, "hỏng"), telegram_text_update(22, USER, "lỗi"),
                  telegram_text_update(23, USER, "còn đó không"))
    texts = [s["text"] for s in request.sent()]
    assert texts[:2] == [relay.APOLOGY, relay.APOLOGY]
    assert texts[2].startswith("Bạn hỏi: còn đó không")
    logged = {r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR}
    assert any("telegram update 21" in line and "kho tri thức chưa mở" in line for line in logged)
    assert any("telegram update 22" in line for line in logged)
    assert str(USER) not in " ".join(logged)  # raw user ids stay out of the logs


def test_long_reply_is_split_on_paragraphs_with_the_keyboard_last(services):
    request = run(services, telegram_text_update(1, USER, "dài"))
    sent = request.sent()
    assert len(sent) > 1
    assert all(len(s["text"]) <= MESSAGE_LIMIT for s in sent)
    assert all(s["text"].startswith("Đoạn văn") and s["text"].endswith(".") for s in sent)
    assert "<b>" not in "".join(s["text"] for s in sent)  # user/document text stays escaped
    assert [s.get("reply_markup") is not None for s in sent] == [False] * (len(sent) - 1) + [True]
    assert sent[-1]["reply_markup"]["inline_keyboard"] == [[
        {"text": "1", "callback_data": "quiz:ans:1:0:0"}, {"text": "2", "callback_data": "quiz:ans:1:0:1"},
    ]]


def test_flooding_user_is_throttled_politely(services):
    limit = relay.Throttle().limit
    updates = [telegram_text_update(100 + i, USER, f"tin {i}") for i in range(limit + 4)]
    request = run(services, *updates, telegram_text_update(200, USER + 1, "người khác"))
    texts = [s["text"] for s in request.sent()]
    assert len(services.assistant.seen) == limit + 1
    assert texts.count(relay.SLOW_DOWN) == 1  # told once, then silence
    [other] = [s["text"] for s in request.sent() if s["chat_id"] == USER + 1]  # order holds per chat only
    assert other.startswith("Bạn hỏi: người khác")


def test_throttle_lets_a_user_back_in_once_the_window_has_passed():
    now = [0.0]
    throttle = relay.Throttle(limit=2, window=10, clock=lambda: now[0])
    verdicts = [throttle.check("a") for _ in range(4)] + [throttle.check("b")]
    assert [v.value for v in verdicts] == ["pass", "pass", "warn", "drop", "pass"]
    now[0] = 10.5
    assert [throttle.check("a").value for _ in range(3)] == ["pass", "pass", "warn"]


def test_non_text_message_is_explained_without_the_core(services):
    update = telegram_text_update(1, USER, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {
        "file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
        "is_animated": False, "is_video": False,
    }
    request = run(services, update)
    assert [s["text"] for s in request.sent()] == [relay.TEXT_ONLY]
    assert services.assistant.seen == []


def test_reply_refused_for_good_is_given_up_and_the_chat_goes_on(services):
    services.fake.fail_next("sendMessage", 400, {"ok": False, "error_code": 400,
                                                 "description": "Bad Request: chat not found"})
    request = run(services, telegram_text_update(1, USER, "một"), telegram_text_update(2, USER, "hai"))
    assert [s["text"].split("\n")[0] for s in request.sent()] == ["Bạn hỏi: một", "Bạn hỏi: hai"]
    assert outbox.stats(services.db) == {"pending": 0, "failed": 1, "retries": 1}
