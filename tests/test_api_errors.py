"""Every error is JSON with a Vietnamese message: unknown paths, wrong methods, bad input, crashes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from fixtures_api import api_settings, bearer, client, services  # noqa: F401

from api.app import create_app
from hocvuso.services import Services
from hocvuso.settings import load_settings

# A port nothing listens on: the database is unreachable.
UNREACHABLE_DB = "postgresql+psycopg://hocvuso@127.0.0.1:9/khong-co"


def test_unknown_path_is_a_json_404(client):  # noqa: F811
    response = client.get("/v1/khong-co")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Không tìm thấy địa chỉ hoặc tài nguyên được yêu cầu.", "code": "not_found"}


def test_wrong_method_is_a_json_405(client):  # noqa: F811
    response = client.put("/v1/quiz/topics")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "phương thức" in response.json()["detail"]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"user_id": "u1", "topic": "x" * 65}, "topic", "quá dài"),
    ({"topic": ["vneid"]}, "topic", "phải là chuỗi ký tự"),
    ({"user_id": "có dấu cách", "topic": "vneid"}, "user_id", "không đúng định dạng"),
    ({"user_id": "u1", "them": 1}, "them", "không được phép"),
])
def test_invalid_body_is_a_422_naming_the_field(client, body, field, words):  # noqa: F811
    response = client.post("/v1/quiz/attempts", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "validation_error"
    assert field in payload["detail"] and words in payload["detail"]
    assert payload["errors"][0]["loc"][-1] == field


def test_malformed_json_is_a_422(client):  # noqa: F811
    response = client.post("/v1/quiz/attempts", content=b"{khong phai json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "JSON không hợp lệ" in response.json()["detail"]


def test_a_crash_is_a_json_500_and_health_says_503(tmp_path):
    broken = Services(load_settings(data_dir=tmp_path, database_url=UNREACHABLE_DB, embedding={"backend": "none"}))
    with TestClient(create_app(broken), raise_server_exceptions=False) as test_client:
        response = test_client.get("/v1/stats/overview", headers=bearer("hvs_bat-ky"))
        assert response.status_code == 500
        assert response.json() == {"detail": "Máy chủ gặp lỗi ngoài dự kiến; vui lòng thử lại sau.",
                                   "code": "internal_error"}
        health = test_client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"] == "error"


def test_health_is_503_when_the_store_is_unreachable(tmp_path):
    unreachable = Services(load_settings(data_dir=tmp_path, chroma_url="http://127.0.0.1:9",
                                         embedding={"backend": "none"}))
    with TestClient(create_app(unreachable)) as test_client:
        health = test_client.get("/healthz")
        assert health.status_code == 503
        assert (health.json()["store"], health.json()["database"]) == ("error", "ok")
        assert "Kho tri thức" in health.json()["detail"]
    unreachable.close()
