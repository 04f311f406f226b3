"""The inbox of unanswered questions: redaction, grouping by wording, the API, the dashboard
and the chat path, on the real knowledge base and SQLite."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from fixtures_api import bearer, ingested_dir, kb_settings  # noqa: F401

from api.app import create_app
from api.keys import create_key
from bot import unanswered
from bot.core import Assistant
from bot.messages import IncomingMessage
from hocvuso.db.models import UnansweredQuestion
from hocvuso.services import Services

VISA = ["thủ tục xin visa đi Hàn Quốc cần những gì", "thu tuc xin visa di han quoc can gi a",
        "ad ơi xin visa Hàn Quốc ntn, sdt em 0912345678"]
SHRIMP = "cách nuôi tôm thẻ chân trắng"


@pytest.mark.parametrize("text, expected", [
    ("gọi em 0912 345 678 nhé", "gọi em [số điện thoại] nhé"),
    ("sdt +84912345678", "sdt [số điện thoại]"),
    ("cccd 012345678901 bị lỗi", "cccd [số giấy tờ] bị lỗi"),
    ("cmnd 123456789", "cmnd [số giấy tờ]"),
    ("stk 1903 6655 2211 01 chuyển nhầm", "stk [dãy số] chuyển nhầm"),
    ("mail a.b@gmail.com", "mail [email]"),
    ("năm 2025 có gì mới", "năm 2025 có gì mới"),
])
def test_redaction_removes_numbers_people_type(text, expected):
    assert unanswered.redact(text) == expected


def test_questions_of_similar_wording_are_one_group_with_or_without_diacritics():
    rows = [UnansweredQuestion(id=i + 1, user=f"u{i % 2}", channel="zalo", unit=None,
                               text=unanswered.redact(text), created_at=datetime(2026, 11, 1 + i, tzinfo=UTC))
            for i, text in enumerate([*VISA, SHRIMP])]
    groups = unanswered.group(rows)
    assert [group.count for group in groups] == [3, 1]
    assert groups[0].example == VISA[0] and len(groups[0].people) == 2
    assert groups[1].example == SHRIMP


@pytest.fixture
def services(kb_settings):  # noqa: F811
    built = Services(kb_settings)
    yield built
    built.close()


def test_refused_questions_reach_the_inbox_grouped_and_can_be_marked_handled(services):
    key = create_key(services.db, "Cô Mai", "trainer")[1]
    with TestClient(create_app(services)) as client:
        for question in [*VISA, SHRIMP, "xin chào", "VNeID là gì?"]:
            assert client.post("/v1/ask", json={"question": question}).status_code == 200
        assert client.get("/v1/stats/unanswered").status_code == 401
        groups = client.get("/v1/stats/unanswered", headers=bearer(key)).json()
        # Greetings and answered questions are not needs; the phone number never reached the store.
        assert [(group["example"], group["count"]) for group in groups] == [(VISA[0], 3), (SHRIMP, 1)]
        assert all("0912345678" not in text for group in groups for text in group["questions"])

        exported = client.get("/v1/stats/unanswered/export", headers=bearer(key))
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["Mã nhóm", "Câu hỏi tiêu biểu", "Số lần hỏi"] and len(rows) == 3

        done = client.post(f"/v1/stats/unanswered/{groups[0]['id']}/handled", headers=bearer(key))
        assert done.json() == {"handled": 3}
        assert [group["example"] for group in client.get("/v1/stats/unanswered", headers=bearer(key)).json()] == [SHRIMP]
        everything = client.get("/v1/stats/unanswered", params={"handled": True}, headers=bearer(key)).json()
        assert [(group["count"], group["handled"]) for group in everything] == [(3, True), (1, False)]
        assert client.post(f"/v1/stats/unanswered/{groups[0]['id']}/handled", headers=bearer(key)).status_code == 404

        # A new question of the handled kind opens a new group.
        client.post("/v1/ask", json={"question": VISA[1]})
        reopened = client.get("/v1/stats/unanswered", headers=bearer(key)).json()
        assert sorted(group["example"] for group in reopened) == sorted([VISA[1], SHRIMP])


def test_chat_refusals_are_kept_pseudonymously_and_shown_on_the_dashboard(services):
    assistant = Assistant(services.kb, services.db, services.settings, rng=random.Random(1))
    for text in VISA[:2]:
        assistant.handle(IncomingMessage(channel="zalo", user_id="84901234567", text=text))
    with services.db.session() as session:
        rows = list(session.query(UnansweredQuestion))
    assert len(rows) == 2 and {row.channel for row in rows} == {"zalo"}
    assert all(row.user != "84901234567" and len(row.user) == 64 for row in rows)

    key = create_key(services.db, "Cô Mai", "trainer")[1]
    with TestClient(create_app(services)) as client:
        page = client.get("/dashboard/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/dashboard/login", data={"key": key, "csrf_token": token})
        html = client.get("/dashboard").text
        assert 'id="unanswered-table"' in html and VISA[0] in html
        token = html.split('name="csrf_token" value="')[1].split('"')[0]
        group_id = rows[0].id
        client.post(f"/dashboard/unanswered/{group_id}/handled", data={"csrf_token": token})
        assert VISA[0] not in client.get("/dashboard").text
        export = client.get("/dashboard/unanswered/export")
        assert export.status_code == 200 and VISA[0] in export.content.decode("utf-8-sig")


def test_control_characters_are_dropped_so_every_export_opens():
    assert unanswered.redact("xin\x00 visa\x1b\nHàn Quốc\ud800") == "xin visa Hàn Quốc"
