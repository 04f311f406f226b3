"""Logs hold no secrets and no raw user data, at any level: a real ``hocvuso -v serve`` process, grepped."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fixtures_channels import (
    BOT_TOKEN,
    FakeTelegramApi,
    FakeZaloApi,
    knowledge_data_dir,  # noqa: F401 (fixture)
    telegram_text_update,
    wait_until_serving,
    zalo_update,
)

from hocvuso.logs import RedactingFilter, redact

TELEGRAM_SECRET, ZALO_SECRET = "bi-mat-webhook-tg-42", "bi-mat-webhook-zl-42"
RAW_TELEGRAM_ID, RAW_ZALO_ID, RAW_WEB_ID = 987654321, "zalo-nguoi-dung-6ede9a", "trinh-duyet-bi-mat"
NAMES = ("Nguyễn Văn Bí Mật", "Trần", "ten_dang_nhap_bi_mat", "Lê Thị Ẩn Danh")
PHONE = "0912345678"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redaction_keeps_the_shape_of_ordinary_messages():
    assert redact("Đã nạp 120 đoạn từ 5 tệp") == "Đã nạp 120 đoạn từ 5 tệp"
    assert redact("message_id=3 update_id=9") == "message_id=3 update_id=9"
    assert redact("chat=Chat(id=42, first_name='An')") == "chat=Chat(id=[ẩn], first_name=[ẩn])"
    record = logging.LogRecord("telegram.ext", logging.DEBUG, __file__, 1, "token %s in %s", ("abcd-1234", {"id": 7}),
                               None)
    RedactingFilter(["abcd-1234"]).filter(record)
    assert record.getMessage() == "token [ẩn] in {'id': [ẩn]}"


def test_verbose_serve_logs_no_tokens_ids_names_or_texts(knowledge_data_dir, tmp_path):  # noqa: F811
    port = free_port()
    with FakeTelegramApi() as telegram, FakeZaloApi() as zalo:
        env = {
            **os.environ,
            "HOCVUSO_DATA_DIR": str(knowledge_data_dir),
            "HOCVUSO_DATABASE_URL": f"sqlite:///{tmp_path / 'hocvuso.db'}",
            "HOCVUSO_EMBEDDING__BACKEND": "none",
            "HOCVUSO_LLM__BASE_URL": "",
            "HOCVUSO_TELEGRAM__TOKEN": BOT_TOKEN,
            "HOCVUSO_TELEGRAM__WEBHOOK_SECRET": TELEGRAM_SECRET,
            "HOCVUSO_TELEGRAM__BASE_URL": telegram.url,
            "HOCVUSO_ZALO__TOKEN": BOT_TOKEN,
            "HOCVUSO_ZALO__WEBHOOK_SECRET": ZALO_SECRET,
            "HOCVUSO_ZALO__BASE_URL": zalo.url,
        }
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("hocvuso")), "-v", "serve", "--port", str(port), "--log-level", "debug"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(base, server)
            update = telegram_text_update(1, RAW_TELEGRAM_ID, f"Số của tôi là {PHONE}, VNeID là gì?")
            update["message"]["from"].update(first_name=NAMES[0], last_name=NAMES[1], username=NAMES[2])
            update["message"]["chat"].update(first_name=NAMES[0], last_name=NAMES[1], username=NAMES[2])
            answered = httpx.post(f"{base}/webhooks/telegram", json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=10)
            assert answered.status_code == 200
            message = zalo_update("m1", RAW_ZALO_ID, f"gọi {PHONE} giúp tôi")
            message["message"]["from"]["display_name"] = NAMES[3]
            assert httpx.post(f"{base}/webhooks/zalo", json={"ok": True, "result": message},
                              headers={"X-Bot-Api-Secret-Token": ZALO_SECRET}, timeout=10).status_code == 200
            httpx.get(f"{base}/v1/quiz/current", params={"user_id": RAW_WEB_ID}, timeout=10)
            telegram.wait_for("sendMessage", 1, timeout=60)
            zalo.wait_for("sendMessage", 1, timeout=60)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                out, err = server.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                out, err = server.communicate()
    logs = out + err
    # The logs are really verbose (so the test means something): debug lines of the app and the libraries.
    assert "DEBUG" in logs and "HTTP Request: POST" in logs and "/bot[ẩn]/sendMessage" in logs
    assert "/v1/quiz/current?user_id=[ẩn]" in logs
    for secret in (BOT_TOKEN, TELEGRAM_SECRET, ZALO_SECRET, str(RAW_TELEGRAM_ID), RAW_ZALO_ID, RAW_WEB_ID, PHONE,
                   *NAMES):
        assert secret not in logs, f"{secret!r} appears in the logs"
