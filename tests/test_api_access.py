"""Access control: API keys (hashed, revocable), roles, and the ``hocvuso keys`` commands."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from fixtures_api import admin_key, api_settings, bearer, client, services, trainer_key  # noqa: F401
from sqlalchemy import select

from api.keys import create_key, find_key, hash_key
from hocvuso.cli import main
from hocvuso.db.models import ApiKey

TRAINER_ONLY = ["/v1/stats/overview", "/v1/stats/daily", "/v1/evidence/verify", "/v1/evidence/export"]
ADMIN_ONLY = ["/v1/admin/keys", "/v1/admin/ingest"]


def test_keys_are_stored_only_as_sha256(services):  # noqa: F811
    info, raw = create_key(services.db, "Cô Lan", "trainer")
    assert raw.startswith("hvs_") and len(raw) >= 40
    with services.db.session() as session:
        row = session.scalars(select(ApiKey)).one()
        assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest() == hash_key(raw)
        assert raw not in (row.key_hash, row.name) and row.prefix == raw[:12]
    assert find_key(services.db, raw) == info
    assert find_key(services.db, raw + "x") is None


@pytest.mark.parametrize("path", TRAINER_ONLY + ADMIN_ONLY)
def test_missing_or_wrong_key_gets_401(client, path):  # noqa: F811
    missing = client.get(path)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    wrong = client.get(path, headers=bearer("hvs_khong-phai-khoa-that"))
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_key"
    basic = client.get(path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_trainer_key_is_forbidden_on_admin_endpoints(client, trainer_key, path):  # noqa: F811
    response = client.get(path, headers=bearer(trainer_key))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "quản trị" in response.json()["detail"]


@pytest.mark.parametrize("path", TRAINER_ONLY)
def test_admin_can_do_what_a_trainer_can(client, admin_key, trainer_key, path):  # noqa: F811
    assert client.get(path, headers=bearer(trainer_key)).status_code == 200
    assert client.get(path, headers=bearer(admin_key)).status_code == 200


def test_public_endpoints_need_no_key(client):  # noqa: F811
    assert client.get("/v1/quiz/topics").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_admin_manages_keys_over_http(client, admin_key):  # noqa: F811
    created = client.post("/v1/admin/keys", json={"name": "Thầy Hùng", "role": "trainer"}, headers=bearer(admin_key))
    assert created.status_code == 201
    new = created.json()
    assert client.get("/v1/stats/overview", headers=bearer(new["key"])).status_code == 200

    listed = client.get("/v1/admin/keys", headers=bearer(admin_key)).json()
    assert [key["name"] for key in listed] == ["Quản trị thử", "Thầy Hùng"]
    assert all("key" not in key and "key_hash" not in key for key in listed)

    revoked = client.delete(f"/v1/admin/keys/{new['id']}", headers=bearer(admin_key))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/v1/stats/overview", headers=bearer(new["key"])).status_code == 401
    assert client.delete("/v1/admin/keys/999", headers=bearer(admin_key)).status_code == 404


def test_admin_cannot_lock_themselves_out(client, admin_key, services):  # noqa: F811
    own_id = find_key(services.db, admin_key).id
    response = client.delete(f"/v1/admin/keys/{own_id}", headers=bearer(admin_key))
    assert response.status_code == 409
    assert client.get("/v1/admin/keys", headers=bearer(admin_key)).status_code == 200


@pytest.mark.parametrize("body", [
    {"name": "", "role": "trainer"},
    {"name": "   ", "role": "trainer"},
    {"name": "A", "role": "superuser"},
    {"name": "A" * 101, "role": "admin"},
    {"role": "admin"},
])
def test_invalid_new_keys_get_422(client, admin_key, body):  # noqa: F811
    response = client.post("/v1/admin/keys", json=body, headers=bearer(admin_key))
    assert response.status_code == 422
    assert response.json()["errors"]


def test_cors_is_closed_unless_configured(services):  # noqa: F811
    from fastapi.testclient import TestClient

    from api.app import create_app
    from hocvuso.services import Services
    from hocvuso.settings import load_settings

    preflight = {"Origin": "https://example.vn", "Access-Control-Request-Method": "GET"}
    with TestClient(create_app(services)) as closed:
        response = closed.get("/v1/quiz/topics", headers={"Origin": "https://example.vn"})
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-origin" not in closed.options("/v1/quiz/topics", headers=preflight).headers
    opened = Services(load_settings(data_dir=services.settings.data_dir, api={"cors_origins": ["https://example.vn"]}))
    with TestClient(create_app(opened)) as open_client:
        response = open_client.options("/v1/quiz/topics", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://example.vn"
    opened.close()


def test_keys_commands_add_list_revoke(tmp_path, monkeypatch):
    monkeypatch.setenv("HOCVUSO_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    added = runner.invoke(main, ["keys", "add", "--role", "trainer", "--name", "Cô Mai, xã Nghĩa Trung"])
    assert added.exit_code == 0, added.output
    raw = added.stdout.strip()
    assert raw.startswith("hvs_") and "\n" not in raw, "stdout holds the key alone"
    assert "chỉ hiện MỘT lần" in added.stderr

    listed = runner.invoke(main, ["keys", "list"])
    assert listed.exit_code == 0
    assert "Cô Mai, xã Nghĩa Trung" in listed.stdout and raw[:12] in listed.stdout
    assert raw not in listed.stdout, "a key is never printed again"

    assert runner.invoke(main, ["keys", "revoke", "1"]).exit_code == 0
    assert "thu hồi" in runner.invoke(main, ["keys", "list"]).stdout
    missing = runner.invoke(main, ["keys", "revoke", "42"])
    assert missing.exit_code != 0 and "Không có khóa số 42" in missing.output
    bad_role = runner.invoke(main, ["keys", "add", "--role", "root", "--name", "X"])
    assert bad_role.exit_code != 0
