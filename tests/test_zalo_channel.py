"""The Zalo adapter against a local fake Zalo Bot API server on loopback.

The assistant here is a tiny stand-in with the core's shape; the end-to-end test
uses the real core.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cached_property

import pytest
from fixtures_channels import BOT_TOKEN, FakeZaloApi, deliver, zalo_update

from bot.channels import relay, zalo
from bot.channels.zalo import MESSAGE_LIMIT, ZaloClient, ZaloError, intake_keys
from bot.core import AssistantUnavailable
from bot.delivery.worker import Worker
from bot.messages import Button, Citation, IncomingMessage, Reply
from hocvuso.services import Services
from hocvuso.settings import load_settings

USER = "6ede9afa66b88fe6d6a9"
OPTIONS = [Button("Mật khẩu mạnh", "quiz:ans:3:0:0"), Button("Ngày sinh", "quiz:ans:3:0:1")]


class TinyAssistant:
    """Core-shaped stand-in: answers by simple rules and remembers what it was handed."""

    def __init__(self):
        self.seen: list[IncomingMessage] = []

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        self.seen.append(msg)
        if msg.payload is not None:
            return [Reply(f"Bạn chọn {msg.payload}")]
        if msg.text == "câu hỏi trắc nghiệm":
            return [Reply("Câu 1/5: Mật khẩu nào an toàn hơn?", buttons=OPTIONS)]
        if msg.text == "hỏng":
            raise AssistantUnavailable("cơ sở dữ liệu không trả lời")
        if msg.text == "dài":
            return [Reply("\n\n".join(["Một đoạn hướng dẫn dùng VNeID an toàn. " * 12] * 10))]
        return [Reply(f"Bạn hỏi: {msg.text}", citations=[Citation("Bài 2: VNeID", "Các bước")])]


class TinyServices(Services):
    """Real settings and database; the tiny assistant instead of the core."""

    @cached_property
    def assistant(self):
        return TinyAssistant()


@pytest.fixture
def fake():
    with FakeZaloApi() as server:
        yield server


@pytest.fixture
def services(tmp_path, fake):
    settings = load_settings(data_dir=tmp_path, zalo={"token": BOT_TOKEN, "base_url": fake.url})
    services = TinyServices(settings)
    yield services
    services.close()


def poll(services, fake: FakeZaloApi, *updates: dict, replies: int) -> list[str]:
    """Run the poller and a worker until ``replies`` messages were sent; return their texts."""
    for update in updates:
        fake.push_update(update)

    async def go():
        stop = asyncio.Event()
        worker = Worker(services)
        tasks = [asyncio.create_task(worker.run(stop)),
                 asyncio.create_task(zalo.poll(services, worker.notify, stop))]
        try:
            await asyncio.to_thread(fake.wait_for, "sendMessage", replies)
            await asyncio.to_thread(fake.wait_updates_taken)
        finally:
            stop.set()
            await asyncio.gather(*tasks)

    asyncio.run(go())
    return [params["text"] for params in fake.sent()]


def test_polling_answers_a_question_with_its_sources(services, fake):
    texts = poll(services, fake, zalo_update("m1", USER, "vneid la gi"), replies=1)
    assert texts == ["Bạn hỏi: vneid la gi\n\nNguồn:\n• Bài 2: VNeID › Các bước"]
    assert fake.sent()[0]["chat_id"] == USER
    assert services.assistant.seen == [
        IncomingMessage(channel="zalo", user_id=USER, text="vneid la gi", update_id="m1", chat_id=USER)
    ]
    assert {name for name, _ in fake.calls} == {"getUpdates", "sendMessage"}


def test_buttons_become_numbered_options_answered_by_number_or_words(services, fake):
    texts = poll(services, fake,
                 zalo_update("m1", USER, "câu hỏi trắc nghiệm"), zalo_update("m2", USER, "2"),
                 zalo_update("m3", USER, "câu hỏi trắc nghiệm"), zalo_update("m4", USER, "mat khau manh"),
                 zalo_update("m5", USER, "2"), replies=5)
    assert texts[0].splitlines()[:4] == [
        "Câu 1/5: Mật khẩu nào an toàn hơn?", "", "[1] Mật khẩu mạnh", "[2] Ngày sinh",
    ]
    assert texts[1] == "Bạn chọn quiz:ans:3:0:1"
    assert texts[3] == "Bạn chọn quiz:ans:3:0:0"
    # Once answered, "2" is text again.
    assert services.assistant.seen[-1].text == "2" and services.assistant.seen[-1].payload is None


def test_long_reply_is_split_at_2000_characters(services, fake):
    texts = poll(services, fake, zalo_update("m1", USER, "dài"), replies=2)
    assert len(texts) >= 2
    assert all(len(text) <= MESSAGE_LIMIT for text in texts)
    assert all(text.startswith("Một đoạn") for text in texts)


def test_failure_gets_an_apology_and_polling_goes_on(services, fake, caplog):
    caplog.set_level(logging.ERROR)
    fake.fail_next("getUpdates", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    texts = poll(services, fake, zalo_update("m1", USER, "hỏng"), zalo_update("m2", USER, "còn đó không"),
                 replies=2)
    assert texts[0] == relay.APOLOGY
    assert texts[1].startswith("Bạn hỏi: còn đó không")
    assert any("zalo update m1" in r.getMessage() for r in caplog.records)


def test_repeated_message_and_non_text_events(services, fake):
    texts = poll(services, fake,
                 zalo_update("m1", USER, "xin hỏi"), zalo_update("m1", USER, "xin hỏi"),
                 zalo_update("m2", USER, event="message.sticker.received"),
                 zalo_update("m3", USER, event="message.unsupported.received"),
                 zalo_update("m4", USER, "hết"), replies=4)
    assert [m.update_id for m in services.assistant.seen] == ["m1", "m4"]
    assert texts[1:3] == [relay.TEXT_ONLY, relay.TEXT_ONLY]


def test_flooding_user_is_throttled(services, fake):
    limit = relay.Throttle().limit
    updates = [zalo_update(f"m{i}", USER, f"tin {i}") for i in range(limit + 3)]
    texts = poll(services, fake, *updates, zalo_update("x", "nguoi-khac", "chào"), replies=limit + 2)
    assert texts.count(relay.SLOW_DOWN) == 1
    assert len(services.assistant.seen) == limit + 1


def test_client_unwraps_results_and_raises_on_errors(fake):
    async def go():
        client = ZaloClient(BOT_TOKEN, fake.url)
        try:
            me = await client.get_me()
            empty = await client.get_updates(timeout=0)
            hook = await client.set_webhook("https://vi-du.vn/webhooks/zalo", "mat-khau-bi-mat")
            gone = await client.delete_webhook()
            with pytest.raises(ZaloError) as error:
                await ZaloClient("sai-ma", fake.url).send_message(USER, "x")
            return me, empty, hook, gone, error.value
        finally:
            await client.close()

    me, empty, hook, gone, error = asyncio.run(go())
    assert me["account_name"] == "bot.TroLy"
    assert empty == []
    assert hook["url"] == "https://vi-du.vn/webhooks/zalo"
    assert gone["url"] == ""
    assert error.code == 401
    assert ("setWebhook", {"url": "https://vi-du.vn/webhooks/zalo", "secret_token": "mat-khau-bi-mat"}) in fake.calls


def test_polling_stops_on_a_refused_token(tmp_path, fake):
    settings = load_settings(data_dir=tmp_path, zalo={"token": "ma-sai", "base_url": fake.url})

    async def go():
        await asyncio.wait_for(zalo.poll(TinyServices(settings), lambda: None, asyncio.Event()), timeout=10)

    with pytest.raises(ZaloError) as error:
        asyncio.run(go())
    assert error.value.code == 401


def test_key_is_chat_and_message_id_so_equal_ids_in_two_chats_both_count(services, fake):
    assert intake_keys(zalo_update("m1", USER, "a")) == (f"{USER}:m1", USER)
    deliver(services, zalo, zalo_update("m1", USER, "chào"), zalo_update("m1", "nguoi-khac", "chào"),
            zalo_update("m1", USER, "chào"))  # the last is a re-delivery of the first
    assert sorted(m.user_id for m in services.assistant.seen) == sorted([USER, "nguoi-khac"])
    assert sorted(s["chat_id"] for s in fake.sent()) == sorted([USER, "nguoi-khac"])


def test_without_message_id_the_key_is_content_and_time(services, fake):
    def without_id(text: str, date: int) -> dict:
        update = zalo_update("", USER, text)
        del update["message"]["message_id"]
        update["message"]["date"] = date
        return update

    first = without_id("xin hỏi", 1_700_000_000_000)
    again = without_id("xin hỏi", 1_700_000_000_000)
    assert intake_keys(first) == intake_keys(again)
    assert intake_keys(first) != intake_keys(without_id("xin hỏi", 1_700_000_001_000))
    assert intake_keys(first) != intake_keys(without_id("câu khác", 1_700_000_000_000))
    deliver(services, zalo, first, again, without_id("xin hỏi", 1_700_000_001_000),
            without_id("câu khác", 1_700_000_000_000))
    assert [m.text for m in services.assistant.seen] == ["xin hỏi", "xin hỏi", "câu khác"]
