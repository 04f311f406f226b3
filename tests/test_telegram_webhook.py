"""``POST /webhooks/telegram`` in the real FastAPI app, the bot talking to a fake Bot API on loopback."""

from __future__ import annotations

import socket
import time

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from fixtures_channels import (
    BOT_TOKEN,
    EchoServices,
    FakeTelegramApi,
    telegram_button_update,
    telegram_text_update,
)

from api.app import create_app
from bot.channels.telegram import COMMANDS
from bot.delivery import outbox
from hocvuso.cli import main
from hocvuso.services import Services
from hocvuso.settings import load_settings

SECRET = "bi-mat_webhook-123"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
def fake():
    with FakeTelegramApi() as server:
        yield server


def make_services(tmp_path, fake, **telegram) -> EchoServices:
    options = {"token": BOT_TOKEN, "webhook_secret": SECRET, "base_url": fake.url, **telegram}
    return EchoServices(load_settings(data_dir=tmp_path, telegram=options))


@pytest.fixture
def client(tmp_path, fake):
    services = make_services(tmp_path, fake)
    with TestClient(create_app(services)) as client:
        yield client
    services.close()


def test_startup_publishes_the_command_menu(client, fake):
    [published] = fake.sent("setMyCommands")
    assert [c["command"] for c in published["commands"]] == [c.command for c in COMMANDS]
    assert all(c["description"] for c in published["commands"])


def test_missing_or_wrong_secret_is_refused_and_nothing_processed(client, fake):
    update = telegram_text_update(1, 7, "câu hỏi")
    assert client.post("/webhooks/telegram", json=update).status_code == 403
    response = client.post("/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "sai"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Thiếu hoặc sai mã bí mật của webhook."
    # The same update with the right secret is processed: the refused ones never were.
    assert client.post("/webhooks/telegram", json=update, headers=HEADERS).json() == {"ok": True}
    fake.wait_for("sendMessage", 1)
    assert [m.update_id for m in client.app.state.services.assistant.seen] == ["1"]


def test_same_update_twice_is_processed_once(client, fake):
    button = telegram_button_update(5, 7, "menu:help")
    for _ in range(2):
        assert client.post("/webhooks/telegram", json=button, headers=HEADERS).status_code == 200
    client.post("/webhooks/telegram", json=telegram_text_update(6, 7, "tiếp"), headers=HEADERS)
    sent = fake.wait_for("sendMessage", 2)
    assert [s["text"] for s in sent] == ["Đã nhận: menu:help", "Đã nhận: tiếp"]
    assert [m.update_id for m in client.app.state.services.assistant.seen] == ["5", "6"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"chuoi"', b'{"message": {"text": "x"}}',
                                  b"\xff\xfe"])
def test_malformed_body_is_a_400_and_the_bot_keeps_working(client, fake, body):
    response = client.post("/webhooks/telegram", content=body, headers=HEADERS)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    client.post("/webhooks/telegram", json=telegram_text_update(2, 7, "vẫn chạy"), headers=HEADERS)
    assert fake.wait_for("sendMessage", 1)[0]["text"] == "Đã nhận: vẫn chạy"


def test_without_a_configured_secret_every_post_is_refused(tmp_path, fake):
    services = make_services(tmp_path, fake, webhook_secret="")
    with TestClient(create_app(services)) as client:
        update = telegram_text_update(1, 7, "x")
        empty = {"X-Telegram-Bot-Api-Secret-Token": ""}
        assert client.post("/webhooks/telegram", json=update, headers=empty).status_code == 403
    assert services.assistant.seen == []
    services.close()


def test_channel_without_token_is_not_found(tmp_path):
    services = Services(load_settings(data_dir=tmp_path))
    with TestClient(create_app(services)) as client:
        response = client.post("/webhooks/telegram", json={"update_id": 1}, headers=HEADERS)
    assert response.status_code == 404
    services.close()


def test_flood_reply_from_telegram_is_waited_out_and_retried(client, fake):
    fake.fail_next("sendMessage", 429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 1},
                                         "description": "Too Many Requests: retry after 1"})
    client.post("/webhooks/telegram", json=telegram_text_update(3, 7, "nhanh quá"), headers=HEADERS)
    first, second = fake.wait_for("sendMessage", 2)
    assert first["text"] == second["text"] == "Đã nhận: nhanh quá"


def test_set_webhook_command_registers_the_url_with_the_secret(fake, tmp_path):
    env = {"HOCVUSO_DATA_DIR": str(tmp_path), "HOCVUSO_TELEGRAM__TOKEN": BOT_TOKEN,
           "HOCVUSO_TELEGRAM__BASE_URL": fake.url, "HOCVUSO_TELEGRAM__WEBHOOK_SECRET": SECRET}
    url = "https://xa-nghia-trung.vn/webhooks/telegram"
    result = CliRunner().invoke(main, ["bot", "set-webhook", "telegram", "--url", url], env=env)
    assert result.exit_code == 0, result.output
    [call] = fake.sent("setWebhook")
    assert call["url"] == url and call["secret_token"] == SECRET
    assert set(call["allowed_updates"]) == {"message", "callback_query"}

    refused = CliRunner().invoke(main, ["bot", "set-webhook", "telegram", "--url", url],
                                 env={**env, "HOCVUSO_TELEGRAM__WEBHOOK_SECRET": "có dấu"})
    assert refused.exit_code != 0 and "HOCVUSO_TELEGRAM__WEBHOOK_SECRET" in refused.output
    assert CliRunner().invoke(main, ["bot", "delete-webhook", "telegram"], env=env).exit_code == 0
    assert fake.sent("deleteWebhook")


def test_oversized_body_is_refused(client, fake):
    update = telegram_text_update(4, 7, "x" * 300_000)
    response = client.post("/webhooks/telegram", json=update, headers=HEADERS)
    assert response.status_code == 413
    assert client.app.state.services.assistant.seen == []


def test_unreachable_bot_api_still_stores_the_update_and_keeps_the_reply(tmp_path, caplog):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    services = EchoServices(load_settings(data_dir=tmp_path, telegram={
        "token": BOT_TOKEN, "webhook_secret": SECRET, "base_url": closed}))
    with TestClient(create_app(services)) as client:
        response = client.post("/webhooks/telegram", json=telegram_text_update(1, 7, "x"), headers=HEADERS)
        assert response.status_code == 200  # stored: Telegram need not send it again
        assert client.get("/openapi.json").status_code == 200
        deadline = time.monotonic() + 10
        while outbox.stats(services.db)["retries"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert outbox.stats(services.db) == {"pending": 1, "failed": 0, "retries": 1}  # waits for a retry
    assert "command menu not published" in caplog.text
    assert [m.text for m in services.assistant.seen] == ["x"]
    services.close()
