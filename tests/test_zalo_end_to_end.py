"""A citizen on Zalo, end to end: ``hocvuso bot zalo`` (long polling) and the webhook
route, with the real assistant core, the real knowledge base and SQLite, against a
fake Zalo Bot API server on loopback. Zalo shows text only: options are numbered.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from fixtures_channels import (
    BOT_TOKEN,
    FakeZaloApi,
    bot_process,
    evidence_rows,
    knowledge_data_dir,  # noqa: F401 (fixture)
    lesson_ids,
    zalo_update,
)

from api.app import create_app
from bot import texts
from hocvuso.services import Services
from hocvuso.settings import load_settings

USER = "8a1b2c3d4e5f60718293"
SECRET = "bi-mat-e2e-zalo"
HEADERS = {"X-Bot-Api-Secret-Token": SECRET}

pytestmark = pytest.mark.slow


def numbered_options(text: str) -> dict[str, str]:
    """``[n] label`` lines of a message, as label -> number."""
    return {label: number for number, label in re.findall(r"^\[(\d+)\] (.+)$", text, re.MULTILINE)}


def asks_to_choose(message: dict) -> bool:
    """True for a message ending with numbered options to answer."""
    return "[1] " in message["text"] or "Gõ số từ 1 đến" in message["text"]


def test_citizen_session_by_long_polling(knowledge_data_dir, tmp_path):  # noqa: F811
    database_url = f"sqlite:///{tmp_path / 'hocvuso.db'}"
    with FakeZaloApi() as fake:
        env = {
            "HOCVUSO_DATA_DIR": str(knowledge_data_dir),
            "HOCVUSO_DATABASE_URL": database_url,
            "HOCVUSO_EMBEDDING__BACKEND": "none",
            "HOCVUSO_LLM__BASE_URL": "",
            "HOCVUSO_ZALO__TOKEN": BOT_TOKEN,
            "HOCVUSO_ZALO__BASE_URL": fake.url,
        }
        with bot_process("zalo", env):
            message_ids = (f"msg{n}" for n in range(1, 100))
            sent = 0

            def send(text: str, until) -> list[str]:
                """Type ``text``; return the bot's messages up to the one ``until`` accepts."""
                nonlocal sent
                fake.push_update(zalo_update(next(message_ids), USER, text))
                messages = fake.wait_for_match(until, after=sent)
                sent += len(messages)
                assert all(m["chat_id"] == USER and 1 <= len(m["text"]) <= 2000 for m in messages)
                return [m["text"] for m in messages]

            # /start: the welcome with the menu as numbered options.
            [welcome] = send("/start", lambda m: True)
            assert welcome.startswith("Xin chào")
            menu = numbered_options(welcome)
            assert texts.MENU_QUIZ in menu

            # The quiz picked from the menu by its number, five questions answered by number.
            messages = send(menu[texts.MENU_QUIZ], asks_to_choose)
            for number in range(1, 6):
                assert f"Câu {number}/5" in messages[-1]
                messages = send("1", asks_to_choose)
                assert any("Nguồn:" in m for m in messages)  # feedback cites the lesson
            assert messages[-1].startswith("Hoàn thành bài trắc nghiệm")
            score = messages[-1].split("đúng ", 1)[1].split(" câu", 1)[0]

            # A command typed without slash or diacritics.
            [results] = send("ket qua", lambda m: True)
            assert results.startswith("Kết quả các bài gần đây") and score in results

            # A question without diacritics: an answer with its sources.
            answer = send("binh dan hoc vu so la gi", lambda m: "Nguồn:" in m["text"])
            assert "\n• " in answer[-1]

    events = evidence_rows(database_url)
    asked = [e for e in events if e["type"] == "question_asked"]
    assert len(asked) == 1 and asked[0]["data"]["answered"] is True
    lessons_cited = [doc for doc in asked[0]["data"]["sources"] if doc in lesson_ids()]
    assert Counter(e["type"] for e in events) == Counter({
        "quiz_started": 1, "quiz_answered": 5, "quiz_completed": 1,
        "question_asked": 1, "lesson_read": len(lessons_cited),
    })
    assert {e["channel"] for e in events} == {"zalo"}
    assert {e["user"] for e in events} != {USER} and len({e["user"] for e in events}) == 1


def test_webhook_refuses_bad_secrets_and_counts_a_repeat_once(knowledge_data_dir, tmp_path):  # noqa: F811
    database_url = f"sqlite:///{tmp_path / 'hocvuso.db'}"
    with FakeZaloApi() as fake:
        settings = load_settings(
            data_dir=knowledge_data_dir, database_url=database_url, embedding={"backend": "none"},
            llm={"base_url": ""},
            zalo={"token": BOT_TOKEN, "webhook_secret": SECRET, "base_url": fake.url},
        )
        services = Services(settings)
        question = {"ok": True, "result": zalo_update("q1", USER, "lam sao nhan biet lua dao")}
        with TestClient(create_app(services)) as client:
            assert client.post("/webhooks/zalo", json=question).status_code == 403
            assert client.post("/webhooks/zalo", json=question,
                               headers={"X-Bot-Api-Secret-Token": "khong-dung-dau"}).status_code == 403
            assert client.post("/webhooks/zalo", content=b"{hong", headers=HEADERS).status_code == 400
            for _ in range(2):
                assert client.post("/webhooks/zalo", json=question, headers=HEADERS).status_code == 200
            # Too long to process: a polite reply and no event.
            client.post("/webhooks/zalo", json={"ok": True, "result": zalo_update("q2", USER, "a " * 1500)},
                        headers=HEADERS)
            too_long = texts.too_long(settings.max_message_chars)
            fake.wait_for_match(lambda m: m["text"] == too_long, after=0)
        services.close()

    events = evidence_rows(database_url)
    lessons_cited = [doc for doc in events[0]["data"]["sources"] if doc in lesson_ids()]
    assert Counter(e["type"] for e in events) == Counter({"question_asked": 1, "lesson_read": len(lessons_cited)})
