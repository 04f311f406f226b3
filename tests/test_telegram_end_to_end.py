"""A citizen on Telegram, end to end: ``hocvuso bot telegram`` (long polling) and the
webhook route, with the real assistant core, the real knowledge base and SQLite,
against a fake Bot API server on loopback.
"""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from fixtures_channels import (
    BOT_TOKEN,
    FakeTelegramApi,
    bot_process,
    evidence_rows,
    knowledge_data_dir,  # noqa: F401 (fixture)
    lesson_ids,
    telegram_button_update,
    telegram_text_update,
)

from api.app import create_app
from bot import texts
from hocvuso.services import Services
from hocvuso.settings import load_settings

USER = 98765
SECRET = "bi-mat_e2e"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

pytestmark = pytest.mark.slow


def keyboard(message: dict) -> list[dict]:
    """The inline buttons of a sent message, row after row."""
    return [key for row in message.get("reply_markup", {}).get("inline_keyboard", []) for key in row]


def test_citizen_session_by_long_polling(knowledge_data_dir, tmp_path):  # noqa: F811
    database_url = f"sqlite:///{tmp_path / 'hocvuso.db'}"
    with FakeTelegramApi() as fake:
        env = {
            "HOCVUSO_DATA_DIR": str(knowledge_data_dir),
            "HOCVUSO_DATABASE_URL": database_url,
            "HOCVUSO_EMBEDDING__BACKEND": "none",
            "HOCVUSO_LLM__BASE_URL": "",
            "HOCVUSO_TELEGRAM__TOKEN": BOT_TOKEN,
            "HOCVUSO_TELEGRAM__BASE_URL": fake.url,
        }
        with bot_process("telegram", env):
            fake.wait_for("setMyCommands", 1)
            updates = iter(range(1, 100))
            sent = 0

            def send(update: dict, until) -> list[dict]:
                """Deliver ``update``; return the bot's messages up to the one ``until`` accepts."""
                nonlocal sent
                fake.push_update(update)
                messages = fake.wait_for_match(until, after=sent)
                sent += len(messages)
                return messages

            # /start: the welcome and the menu as inline buttons.
            [welcome] = send(telegram_text_update(next(updates), USER, "/start"), lambda m: True)
            assert welcome["parse_mode"] == "HTML"
            assert welcome["text"].startswith("Xin chào")
            menu = {key["text"]: key["callback_data"] for key in keyboard(welcome)}
            assert texts.MENU_QUIZ in menu

            # A question typed without diacritics: an answer that cites its sources.
            answer = send(telegram_text_update(next(updates), USER, "binh dan hoc vu so la gi"),
                          lambda m: "<b>Nguồn:</b>" in m["text"])
            assert "\n• <i>" in answer[-1]["text"]

            # The quiz from the menu button, five questions answered with the buttons.
            messages = send(telegram_button_update(next(updates), USER, menu[texts.MENU_QUIZ], welcome["message_id"]),
                            lambda m: bool(keyboard(m)))
            for number in range(1, 6):
                question = messages[-1]
                assert question["text"].startswith(f"Câu {number}/5")
                options = keyboard(question)
                assert [key["text"] for key in options] == [str(i) for i in range(1, len(options) + 1)]
                press = telegram_button_update(next(updates), USER, options[0]["callback_data"],
                                               message_id=question["message_id"])
                messages = send(press, lambda m: bool(keyboard(m)))
                assert any("<b>Nguồn:</b>" in m["text"] for m in messages)  # feedback cites the lesson
            result = messages[-1]["text"]
            assert result.startswith("Hoàn thành bài trắc nghiệm")
            score = result.split("đúng ", 1)[1].split(" câu", 1)[0]  # "k/5"

            # /ketqua shows that attempt.
            [results] = send(telegram_text_update(next(updates), USER, "/ketqua"), lambda m: True)
            assert results["text"].startswith("Kết quả các bài gần đây") and score in results["text"]

        assert len(fake.sent("answerCallbackQuery")) == 6
        assert {c["command"] for c in fake.sent("setMyCommands")[0]["commands"]} >= {"tracnghiem", "chude", "ketqua"}

    events = evidence_rows(database_url)
    asked = [e for e in events if e["type"] == "question_asked"]
    assert len(asked) == 1 and asked[0]["data"]["answered"] is True
    lessons_cited = [doc for doc in asked[0]["data"]["sources"] if doc in lesson_ids()]
    assert Counter(e["type"] for e in events) == Counter({
        "question_asked": 1, "lesson_read": len(lessons_cited),
        "quiz_started": 1, "quiz_answered": 5, "quiz_completed": 1,
    })
    assert {e["channel"] for e in events} == {"telegram"}
    assert len({e["user"] for e in events}) == 1
    assert str(USER) not in {e["user"] for e in events}  # a pseudonym, never the raw id


def test_webhook_refuses_bad_secrets_and_counts_a_repeat_once(knowledge_data_dir, tmp_path):  # noqa: F811
    database_url = f"sqlite:///{tmp_path / 'hocvuso.db'}"
    with FakeTelegramApi() as fake:
        settings = load_settings(
            data_dir=knowledge_data_dir, database_url=database_url, embedding={"backend": "none"},
            llm={"base_url": ""},
            telegram={"token": BOT_TOKEN, "webhook_secret": SECRET, "base_url": fake.url},
        )
        services = Services(settings)
        question = telegram_text_update(1, USER, "mat khau manh la gi")
        with TestClient(create_app(services)) as client:
            assert client.post("/webhooks/telegram", json=question).status_code == 403
            assert client.post("/webhooks/telegram", json=question,
                               headers={"X-Telegram-Bot-Api-Secret-Token": "khong-dung"}).status_code == 403
            assert client.post("/webhooks/telegram", content=b"{hong", headers=HEADERS).status_code == 400
            for _ in range(2):
                assert client.post("/webhooks/telegram", json=question, headers=HEADERS).status_code == 200
            # Too long to process: a polite reply and no event.
            client.post("/webhooks/telegram", json=telegram_text_update(2, USER, "a " * 1500), headers=HEADERS)
            too_long = texts.too_long(settings.max_message_chars)
            fake.wait_for_match(lambda m: m["text"] == too_long, after=0)
        services.close()

    events = evidence_rows(database_url)
    lessons_cited = [doc for doc in events[0]["data"]["sources"] if doc in lesson_ids()]
    assert Counter(e["type"] for e in events) == Counter({"question_asked": 1, "lesson_read": len(lessons_cited)})
