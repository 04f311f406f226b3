"""Operating the delivery tables: retention (`hocvuso maintenance prune`), `/metrics` and `/healthz`."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from fastapi.testclient import TestClient
from fixtures_channels import BOT_TOKEN, EchoServices
from sqlalchemy import func, select

from api.app import create_app
from bot.delivery import inbox
from hocvuso.cli import main
from hocvuso.db import Database
from hocvuso.db.models import InboxUpdate, OutboxMessage, WorkerHeartbeat, utcnow
from hocvuso.settings import load_settings


def test_prune_removes_old_finished_rows_and_keeps_anything_pending(tmp_path):
    url = f"sqlite:///{tmp_path / 'hocvuso.db'}"
    db = Database.from_url(url)
    old, recent = utcnow() - timedelta(days=40), utcnow() - timedelta(days=2)
    with db.session() as session:
        session.add_all([
            InboxUpdate(channel="telegram", update_key="1", chat_key="7", payload="{}", received_at=old, processed_at=old),
            InboxUpdate(channel="telegram", update_key="2", chat_key="7", payload="{}", received_at=old),  # pending
            InboxUpdate(channel="telegram", update_key="3", chat_key="7", payload="{}", received_at=recent,
                        processed_at=recent),
            OutboxMessage(channel="telegram", chat_key="7", method="sendMessage", params="{}", created_at=old,
                          due_at=old, sent_at=old),
            OutboxMessage(channel="telegram", chat_key="7", method="sendMessage", params="{}", created_at=old,
                          due_at=old),  # never sent: kept
            WorkerHeartbeat(name="may:1:0", started_at=old, seen_at=old),
        ])
    result = CliRunner().invoke(main, ["maintenance", "prune", "--older-than", "30d"],
                                env={"HOCVUSO_DATABASE_URL": url, "HOCVUSO_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "Đã xóa 1 cập nhật đã xử lý, 1 tin đã gửi hoặc bỏ" in result.output
    with db.session() as session:
        assert sorted(session.scalars(select(InboxUpdate.update_key))) == ["2", "3"]
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1
        assert session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 0
    bad = CliRunner().invoke(main, ["maintenance", "prune", "--older-than", "30 ngày"],
                             env={"HOCVUSO_DATABASE_URL": url, "HOCVUSO_DATA_DIR": str(tmp_path)})
    assert bad.exit_code != 0 and "ví dụ 30d" in bad.output
    db.close()


def test_metrics_show_queues_and_healthz_reports_a_stuck_worker(tmp_path):
    # No channel token: this app runs no worker of its own, so the queue stays as left here.
    services = EchoServices(load_settings(data_dir=tmp_path))
    inbox.accept(services.db, "telegram", "9", "7", {"update_id": 9})
    with TestClient(create_app(services)) as client:
        metrics = client.get("/metrics").text
        assert "hocvuso_inbox_pending 1.0" in metrics
        assert "hocvuso_outbox_pending 0.0" in metrics
        assert "hocvuso_inbox_lag_seconds" in metrics and "hocvuso_outbox_retries 0.0" in metrics
        assert client.get("/healthz").json()["workers"] == "ok"

        with services.db.session() as session:  # a worker that stopped reporting 40 s ago
            session.add(WorkerHeartbeat(name="may-2:4242:0", started_at=utcnow() - timedelta(minutes=5),
                                        seen_at=utcnow() - timedelta(seconds=40)))
        health = client.get("/healthz")
        assert health.status_code == 200  # the API itself still stores updates
        body = health.json()
        assert (body["status"], body["workers"]) == ("degraded", "stuck")
        assert "may-2:4242:0" in body["detail"]
        assert "hocvuso_workers_stuck 1.0" in client.get("/metrics").text
    services.close()


def test_webhook_stores_the_update_even_with_no_worker_running(tmp_path):
    settings = load_settings(data_dir=tmp_path, telegram={"token": BOT_TOKEN, "webhook_secret": "bi-mat"},
                             api={"run_worker": False})
    services = EchoServices(settings)
    update = {"update_id": 5, "message": {"message_id": 1, "date": 0, "text": "chào",
                                          "chat": {"id": 7, "type": "private"},
                                          "from": {"id": 7, "is_bot": False, "first_name": "Dân"}}}
    with TestClient(create_app(services)) as client:
        for _ in range(2):  # the platform sends it twice
            response = client.post("/webhooks/telegram", json=update,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": "bi-mat"})
            assert response.json() == {"ok": True}
    with services.db.session() as session:
        [row] = session.scalars(select(InboxUpdate)).all()
    assert (row.update_key, row.chat_key, row.processed_at) == ("5", "7", None)
    assert services.assistant.seen == []
    services.close()
