"""``POST /v1/ask`` on the ingested plans and lessons: the ``Answer`` JSON, filters, limits, metrics."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from fixtures_api import client, ingested_dir, kb_settings, services  # noqa: F401
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from hocvuso.cli import main
from hocvuso.services import Services
from knowledge.records import Answer


@pytest.fixture
def api_settings(kb_settings):  # noqa: F811
    return kb_settings


def questions_counted(client) -> dict[str, float]:  # noqa: F811
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
        if sample.name == "hocvuso_questions_total"
    }


def test_answer_is_the_same_json_as_the_ask_command(client, ingested_dir, monkeypatch):  # noqa: F811
    """The same JSON as ``ask --json``, plus the id to rate the answer by."""
    question = "Mật khẩu mạnh là gì?"
    response = client.post("/v1/ask", json={"question": question, "kind": "lesson"})
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body.pop("answer_id"), str)
    answer = Answer.model_validate(body)
    assert answer.answer and answer.sources

    monkeypatch.setenv("HOCVUSO_DATA_DIR", str(ingested_dir))
    monkeypatch.setenv("HOCVUSO_EMBEDDING__BACKEND", "none")
    command = CliRunner().invoke(main, ["ask", "--json", "--kind", "lesson", question])
    assert command.exit_code == 0, command.output
    assert body == json.loads(command.stdout)


def test_filters_restrict_the_sources(client):  # noqa: F811
    lesson = client.post("/v1/ask", json={"question": "mật khẩu mạnh là gì", "kind": "lesson"}).json()
    assert lesson["sources"] and {source["kind"] for source in lesson["sources"]} == {"lesson"}
    one_plan = client.post("/v1/ask", json={"question": "tiêu chí thi đua", "doc_id": "tinh-ha-tinh"}).json()
    assert one_plan["sources"] and {source["doc_id"] for source in one_plan["sources"]} == {"tinh-ha-tinh"}


@pytest.mark.parametrize(("body", "words"), [
    ({"question": "x" * 1001}, "tối đa 1000 ký tự"),
    ({"question": "   "}, "không đúng định dạng"),
    ({"question": ""}, "tối thiểu 1 ký tự"),
    ({"question": "hỏi", "kind": "quiz"}, "chỉ nhận"),
    ({}, "thiếu trường bắt buộc"),
])
def test_bad_questions_get_a_clear_422(client, body, words):  # noqa: F811
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert words in response.json()["detail"]


def test_question_limit_comes_from_settings_and_shows_in_the_schema(kb_settings):  # noqa: F811
    short = Services(kb_settings.model_copy(update={"api": kb_settings.api.model_copy(update={"max_question_chars": 40})}))
    with TestClient(create_app(short)) as test_client:
        schema = test_client.get("/openapi.json").json()
        assert schema["components"]["schemas"]["AskRequest"]["properties"]["question"]["maxLength"] == 40
        assert test_client.post("/v1/ask", json={"question": "a" * 41}).status_code == 422
        assert test_client.post("/v1/ask", json={"question": "bình dân học vụ số là gì"}).status_code == 200
    short.close()


def test_metrics_count_answered_and_unanswered_questions(client):  # noqa: F811
    outcomes = [client.post("/v1/ask", json={"question": q}).json()["found"]
                for q in ("Bình dân học vụ số là gì?", "zqxv wkjh pprt", "Cách đặt mật khẩu an toàn?")]
    counted = questions_counted(client)
    assert counted["answered"] == outcomes.count(True) >= 1
    assert counted["unanswered"] == outcomes.count(False)
