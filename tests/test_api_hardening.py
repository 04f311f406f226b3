"""Guards on every route of the real app: body size, JSON depth, Secure cookies, dashboard sessions."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from fixtures_api import api_settings, client, services, trainer_key  # noqa: F401
from fixtures_channels import BOT_TOKEN, EchoServices, FakeTelegramApi, FakeZaloApi, telegram_text_update

from api.app import create_app
from api.guards import json_too_deep
from api.keys import revoke_key
from hocvuso.settings import load_settings

TELEGRAM_SECRET, ZALO_SECRET = "bi-mat-telegram", "bi-mat-zalo"
DEEP = "[" * 1000 + "]" * 1000


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def test_depth_scan_skips_brackets_inside_strings():
    assert not json_too_deep(json.dumps({"question": "[" * 500}).encode(), 32)
    assert json_too_deep(nested(33).encode(), 32)
    assert not json_too_deep(nested(32).encode(), 32)
    assert not json_too_deep(b'{"a": "\\"[[[[[[[["}', 2)


def test_a_large_body_is_a_413_in_vietnamese_even_without_content_length(client):  # noqa: F811
    declared = client.post("/v1/ask", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert declared.json() == {"detail": "Dữ liệu gửi lên quá lớn (tối đa 1024 KB).", "code": "too_large"}

    def streamed():  # chunked: no Content-Length to trust
        for _ in range(40):
            yield b" " * 64 * 1024

    chunked = client.post("/v1/ask", content=streamed(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413 and chunked.json()["code"] == "too_large"
    # Everywhere, including routes without a body model and the dashboard forms.
    assert client.post("/dashboard/login", content=b"k=" + b"x" * 1_100_000).status_code == 413
    assert client.post("/v1/quiz/attempts", content=streamed()).status_code == 413


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/quiz/attempts", "/v1/evidence/verify", "/v1/admin/keys"])
def test_deep_json_is_a_400_on_api_routes(client, path):  # noqa: F811
    response = client.post(path, content=DEEP, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep" and "lồng nhau quá sâu" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/quiz/attempts"])
def test_a_number_too_long_to_parse_is_a_400(client, path):  # noqa: F811
    response = client.post(path, content='{"topic": ' + "9" * 50_000 + "}", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["detail"] == "Yêu cầu không hợp lệ."


def test_ordinary_json_still_reaches_the_routes(client):  # noqa: F811
    assert client.post("/v1/quiz/attempts", json={"user_id": "u-1", "topic": "vneid"}).status_code == 201
    empty = client.post("/v1/ask", json={"question": ""})
    assert empty.status_code == 422 and empty.json()["code"] == "validation_error"


@pytest.fixture
def channels_client(tmp_path):
    with FakeTelegramApi() as telegram, FakeZaloApi() as zalo:
        settings = load_settings(
            data_dir=tmp_path,
            telegram={"token": BOT_TOKEN, "webhook_secret": TELEGRAM_SECRET, "base_url": telegram.url},
            zalo={"token": BOT_TOKEN, "webhook_secret": ZALO_SECRET, "base_url": zalo.url},
        )
        services = EchoServices(settings)
        with TestClient(create_app(services)) as test_client:
            yield test_client
        services.close()


@pytest.mark.parametrize(("path", "header", "secret"), [
    ("/webhooks/telegram", "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
    ("/webhooks/zalo", "X-Bot-Api-Secret-Token", ZALO_SECRET),
])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_deep_json_to_the_webhooks_is_a_400_not_a_500(channels_client, path, header, secret, content_type):
    headers = {header: secret} | ({"Content-Type": content_type} if content_type else {})
    response = channels_client.post(path, content=nested(1000), headers=headers)
    assert response.status_code == 400, response.text
    assert channels_client.app.state.services.assistant.seen == []
    too_long = channels_client.post(path, content='{"result": ' + "9" * 50_000 + "}", headers=headers)
    assert too_long.status_code == 400
    # And a normal update still goes through afterwards.
    if path.endswith("telegram"):
        ok = channels_client.post(path, json=telegram_text_update(1, 7, "chào"), headers={header: secret})
        assert ok.status_code == 200


def sign_in(client, key: str):  # noqa: F811
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/dashboard/login").text).group(1)
    return client.post("/dashboard/login", data={"key": key, "csrf_token": token}, follow_redirects=False)


def test_logout_ends_the_session_for_every_copy_of_the_cookie(client, trainer_key):  # noqa: F811
    sign_in(client, trainer_key)
    stolen = client.cookies.get("hocvuso_session")
    page = client.get("/dashboard")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/dashboard/logout", data={"csrf_token": csrf}, follow_redirects=False)
    client.cookies.clear()
    client.cookies.set("hocvuso_session", stolen, path="/dashboard")
    replay = client.get("/dashboard", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].endswith("/dashboard/login")


def test_revoking_the_key_ends_its_sessions_at_once(client, services, trainer_key):  # noqa: F811
    sign_in(client, trainer_key)
    assert client.get("/dashboard").status_code == 200
    revoke_key(services.db, 1)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_cookies_are_secure_over_https(services, trainer_key):  # noqa: F811
    with TestClient(create_app(services), base_url="https://testserver") as secure_client:
        cookie = sign_in(secure_client, trainer_key).headers["set-cookie"]
        assert "; Secure" in cookie and "httponly" in cookie.lower()
    with TestClient(create_app(services)) as plain_client:
        assert "secure" not in sign_in(plain_client, trainer_key).headers["set-cookie"].lower()
    # Behind a TLS-terminating proxy the scheme comes from X-Forwarded-Proto (uvicorn's proxy headers), or
    # the operator says "always".
    services.settings.api.secure_cookies = "always"
    with TestClient(create_app(services)) as forced:
        assert "; Secure" in sign_in(forced, trainer_key).headers["set-cookie"]
