"""``POST /webhooks/zalo`` in the real FastAPI app, replies going to a fake Zalo Bot API on loopback."""

from __future__ import annotations


import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from fixtures_channels import BOT_TOKEN, EchoServices, FakeZaloApi, zalo_update

from api.app import create_app
from hocvuso.cli import main
from hocvuso.settings import load_settings

SECRET = "bi-mat-webhook-zalo"
HEADERS = {"X-Bot-Api-Secret-Token": SECRET}
USER = "6ede9afa66b88fe6d6a9"


@pytest.fixture
def fake():
    with FakeZaloApi() as server:
        yield server


@pytest.fixture
def client(tmp_path, fake):
    settings = load_settings(data_dir=tmp_path, zalo={"token": BOT_TOKEN, "webhook_secret": SECRET,
                                                        "base_url": fake.url})
    services = EchoServices(settings)
    with TestClient(create_app(services)) as client:
        yield client
    services.close()


def envelope(update: dict) -> dict:
    """The documented webhook body: the update wrapped as a successful result."""
    return {"ok": True, "result": update}


def seen(client) -> list[str]:
    return [m.update_id for m in client.app.state.services.assistant.seen]


def test_update_is_answered_through_send_message(client, fake):
    response = client.post("/webhooks/zalo", json=envelope(zalo_update("m1", USER, "chào bot")), headers=HEADERS)
    assert response.status_code == 200
    [sent] = fake.wait_for("sendMessage", 1)
    assert sent == {"chat_id": USER, "text": "Đã nhận: chào bot"}


def test_missing_or_wrong_secret_is_refused_and_nothing_processed(client, fake):
    body = envelope(zalo_update("m1", USER, "câu hỏi"))
    assert client.post("/webhooks/zalo", json=body).status_code == 403
    wrong = {"X-Bot-Api-Secret-Token": "sai-roi-nhe"}
    assert client.post("/webhooks/zalo", json=body, headers=wrong).status_code == 403
    # The Telegram header does not open the Zalo door.
    telegram_header = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert client.post("/webhooks/zalo", json=body, headers=telegram_header).status_code == 403
    client.post("/webhooks/zalo", json=body, headers=HEADERS)
    fake.wait_for("sendMessage", 1)
    assert seen(client) == ["m1"]


def test_same_update_twice_is_processed_once(client, fake):
    body = envelope(zalo_update("m7", USER, "hỏi một lần"))
    for _ in range(2):
        assert client.post("/webhooks/zalo", json=body, headers=HEADERS).status_code == 200
    client.post("/webhooks/zalo", json=envelope(zalo_update("m8", USER, "tiếp")), headers=HEADERS)
    sent = fake.wait_for("sendMessage", 2)
    assert [s["text"] for s in sent] == ["Đã nhận: hỏi một lần", "Đã nhận: tiếp"]
    assert seen(client) == ["m7", "m8"]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"42", b'{"ok": true, "result": "x"}', b'{"ok": true}'])
def test_malformed_body_is_a_400_and_the_bot_keeps_working(client, fake, body):
    response = client.post("/webhooks/zalo", content=body, headers=HEADERS)
    assert response.status_code == 400
    client.post("/webhooks/zalo", json=envelope(zalo_update("m2", USER, "vẫn chạy")), headers=HEADERS)
    assert fake.wait_for("sendMessage", 1)[0]["text"] == "Đã nhận: vẫn chạy"


def test_unknown_event_is_acknowledged_and_ignored(client, fake):
    odd = {"event_name": "message.reaction.received"}
    assert client.post("/webhooks/zalo", json=envelope(odd), headers=HEADERS).status_code == 200
    client.post("/webhooks/zalo", json=envelope(zalo_update("m3", USER, "sau đó")), headers=HEADERS)
    fake.wait_for("sendMessage", 1)
    assert seen(client) == ["m3"]


def test_set_webhook_command_registers_the_url_with_the_secret(fake, tmp_path):
    env = {"HOCVUSO_DATA_DIR": str(tmp_path), "HOCVUSO_ZALO__TOKEN": BOT_TOKEN,
           "HOCVUSO_ZALO__BASE_URL": fake.url, "HOCVUSO_ZALO__WEBHOOK_SECRET": SECRET}
    url = "https://xa-nghia-trung.vn/webhooks/zalo"
    result = CliRunner().invoke(main, ["bot", "set-webhook", "zalo", "--url", url], env=env)
    assert result.exit_code == 0, result.output
    assert fake.sent("setWebhook") == [{"url": url, "secret_token": SECRET}]

    short = CliRunner().invoke(main, ["bot", "set-webhook", "zalo", "--url", url],
                               env={**env, "HOCVUSO_ZALO__WEBHOOK_SECRET": "ngan"})
    assert short.exit_code != 0 and "8 đến 256" in short.output
    wrong = CliRunner().invoke(main, ["bot", "set-webhook", "zalo", "--url", url],
                               env={**env, "HOCVUSO_ZALO__TOKEN": "ma-sai"})
    assert wrong.exit_code != 0 and "401" in wrong.output
    assert CliRunner().invoke(main, ["bot", "delete-webhook", "zalo"], env=env).exit_code == 0
    assert fake.sent("deleteWebhook") == [{}]
