"""Operations endpoints: health, Prometheus metrics, and re-ingest as a background job."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from fixtures_api import admin_key, api_settings, bearer, client, services  # noqa: F401
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from bot.messages import IncomingMessage


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_health_is_ok_when_store_and_database_answer(client):  # noqa: F811
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert (response.json()["store"], response.json()["database"]) == ("ok", "ok")


def test_metrics_count_requests_by_route_template_and_status(client):  # noqa: F811
    client.get("/v1/quiz/topics")
    client.get("/v1/documents/khong-co")
    client.get("/v1/documents/cung-khong-co")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    route = ("method", "GET"), ("route", "/v1/documents/{doc_id}"), ("status", "404")
    assert found[("hocvuso_http_requests_total", route)] == 2
    topics = ("method", "GET"), ("route", "/v1/quiz/topics"), ("status", "200")
    assert found[("hocvuso_http_requests_total", topics)] == 1
    latency = ("le", "+Inf"), ("method", "GET"), ("route", "/v1/quiz/topics")
    assert found[("hocvuso_http_request_duration_seconds_bucket", latency)] == 1
    assert found[("hocvuso_questions_total", (("outcome", "unanswered"),))] == 0


def test_each_app_has_its_own_registry(services):  # noqa: F811
    with TestClient(create_app(services)) as first, TestClient(create_app(services)) as second:
        first.get("/v1/quiz/topics")
        assert "/v1/quiz/topics" in first.get("/metrics").text
        assert "/v1/quiz/topics" not in second.get("/metrics").text
    assert REGISTRY.get_sample_value("hocvuso_http_requests_total") is None


def test_admin_ingest_runs_in_the_background_and_refreshes_documents(client, admin_key, services):  # noqa: F811
    assert client.get("/v1/documents").json() == []
    # The bots' assistant is built before the ingest and holds the knowledge base it got then.
    assistant = services.assistant
    question = IncomingMessage("telegram", "tg-1", text="VNeID là gì?")
    refusal = assistant.handle(question)[0]
    assert refusal.text == services.kb.ask(question.text).answer and refusal.citations == []  # the KB's own refusal
    started = client.post("/v1/admin/ingest", headers=bearer(admin_key))
    assert started.status_code == 202
    job = started.json()
    assert job["status"] == "running" and job["finished_at"] is None

    deadline = time.monotonic() + 120
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(f"/v1/admin/ingest/{job['id']}", headers=bearer(admin_key)).json()
    assert job["status"] == "succeeded", job
    assert job["report"]["total_chunks"] > 0 and len(job["report"]["added"]) >= 17
    assert [listed["id"] for listed in client.get("/v1/admin/ingest", headers=bearer(admin_key)).json()] == [job["id"]]
    # The app reopens the knowledge base after the run: the documents are there at once.
    kinds = [doc["kind"] for doc in client.get("/v1/documents").json()]
    assert kinds.count("plan") == 6
    # ...and so does the assistant built before it.
    reply = assistant.handle(question)[0]
    assert "VNeID" in reply.text and reply.text != refusal.text
    assert reply.citations and reply.citations[0].kind == "lesson"
    assert client.post("/v1/ask", json={"question": "VNeID là gì?"}).json()["found"] is True


def test_a_second_ingest_waits_for_the_first(client, admin_key):  # noqa: F811
    first = client.post("/v1/admin/ingest", headers=bearer(admin_key)).json()
    second = client.post("/v1/admin/ingest", headers=bearer(admin_key))
    assert second.status_code == 409
    assert f"số {first['id']}" in second.json()["detail"]
    assert client.get("/v1/admin/ingest/99", headers=bearer(admin_key)).status_code == 404
