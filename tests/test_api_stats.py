"""Trainer statistics over HTTP, on attempts played through the real quiz engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fixtures_api import Play, admin_key, api_settings, bearer, client, seed_attempts, services, trainer_key  # noqa: F401
from sqlalchemy import update

from api.deps import build_quiz_engine
from hocvuso.db.models import QuizAttempt

DAY1, DAY2 = date(2025, 3, 10), date(2025, 3, 11)
NGHIA_TRUNG, BEN_THUY = "Xã Nghĩa Trung", "Phường Bến Thủy"
PLAYS = [
    Play("an", NGHIA_TRUNG, DAY1, "vneid", 5),
    Play("binh", NGHIA_TRUNG, DAY1, "vneid", 3),
    Play("chi", BEN_THUY, DAY1, "lua-dao", 4),
    Play("an", NGHIA_TRUNG, DAY2, "lua-dao", 2),
]


@pytest.fixture
def seeded(services):  # noqa: F811
    seed_attempts(services, PLAYS)


def get(client, trainer_key, path, **params):  # noqa: F811
    response = client.get(f"/v1/stats/{path}", params=params, headers=bearer(trainer_key))
    assert response.status_code == 200, response.text
    return response.json()


def test_overview_counts_participants_attempts_and_results(client, trainer_key, seeded):  # noqa: F811
    overview = get(client, trainer_key, "overview")
    assert overview["participants"] == 3
    assert overview["attempts"] == 4
    assert overview["completed"] == 4
    # Scores 5/5, 3/5, 4/5, 2/5 against a pass mark of 80 %.
    assert overview["passed"] == 2
    assert overview["mean_score"] == pytest.approx(0.7)
    assert overview["pass_rate"] == pytest.approx(0.5)
    assert overview["completion_rate"] == pytest.approx(1.0)


def test_filters_by_unit_period_and_topic(client, trainer_key, seeded):  # noqa: F811
    by_unit = get(client, trainer_key, "overview", unit=NGHIA_TRUNG)
    assert (by_unit["participants"], by_unit["attempts"], by_unit["passed"]) == (2, 3, 1)
    second_day = get(client, trainer_key, "overview", **{"from": DAY2.isoformat(), "to": DAY2.isoformat()})
    assert (second_day["participants"], second_day["attempts"]) == (1, 1)
    vneid = get(client, trainer_key, "overview", topic="vneid")
    assert (vneid["participants"], vneid["attempts"]) == (2, 2)
    nobody = get(client, trainer_key, "overview", unit="Xã không có")
    assert nobody["attempts"] == 0 and nobody["mean_score"] is None


def test_units_and_topics_tables(client, trainer_key, seeded):  # noqa: F811
    units = {row["unit"]: row for row in get(client, trainer_key, "units")}
    assert set(units) == {NGHIA_TRUNG, BEN_THUY}
    assert units[NGHIA_TRUNG]["attempts"] == 3 and units[BEN_THUY]["attempts"] == 1
    assert units[BEN_THUY]["mean_score"] == pytest.approx(0.8)
    topics = {row["topic"]: row["attempts"] for row in get(client, trainer_key, "topics")}
    assert topics == {"vneid": 2, "lua-dao": 2}


def test_questions_daily_and_scores(client, trainer_key, seeded):  # noqa: F811
    questions = get(client, trainer_key, "questions")
    assert sum(row["answers"] for row in questions) == 20
    assert sum(row["correct"] for row in questions) == 14
    assert all(row["question"] for row in questions), "question texts come from the quiz bank"
    assert all(0 <= row["facility"] <= 1 for row in questions)
    missed = get(client, trainer_key, "missed")
    assert missed and all(row["wrong"] > 0 for row in missed)
    # The seeded attempts are back-dated; their evidence events are not, so bound the period.
    period = {"from": DAY1.isoformat(), "to": DAY2.isoformat()}
    rows = get(client, trainer_key, "daily", **period)
    daily = {row["date"]: (row["participants"], row["attempts"]) for row in rows}
    assert daily == {DAY1.isoformat(): (3, 3), DAY2.isoformat(): (1, 1)}
    scores = {row["score"]: row["attempts"] for row in get(client, trainer_key, "scores")}
    assert scores == {0: 0, 1: 0, 2: 1, 3: 1, 4: 1, 5: 1}


def test_days_are_vietnam_days(client, trainer_key, services):  # noqa: F811
    evening = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 01:30 on 21/11 in Vietnam
    build_quiz_engine(services).start("e" * 64, "web", "vneid")
    with services.db.session() as session:
        session.execute(update(QuizAttempt).values(started_at=evening))
    period = {"from": "2026-11-20", "to": "2026-11-21"}
    rows = get(client, trainer_key, "daily", **period)
    assert [(row["date"], row["attempts"]) for row in rows] == [("2026-11-20", 0), ("2026-11-21", 1)]
    assert get(client, trainer_key, "overview", **{"from": "2026-11-21", "to": "2026-11-21"})["attempts"] == 1
    assert get(client, trainer_key, "overview", **{"from": "2026-11-20", "to": "2026-11-20"})["attempts"] == 0


@pytest.mark.parametrize("params", [
    {"from": "2025-02-30"},
    {"from": "hôm qua"},
    {"from": "2025-03-11", "to": "2025-03-10"},
    {"to": "9999-12-31"},
    {"unit": "x" * 201},
])
def test_bad_filters_get_a_clear_422(client, trainer_key, params):  # noqa: F811
    response = client.get("/v1/stats/daily", params=params, headers=bearer(trainer_key))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith(("Dữ liệu gửi lên không hợp lệ", "Ngày"))


def test_units_are_listed_added_by_admins_and_grouped_in_statistics(client, admin_key, trainer_key, services):  # noqa: F811
    seed_attempts(services, [Play("an", "phuong ben thuy", DAY1, "vneid", 5),
                             Play("binh", "Phường Bến Thủy", DAY1, "vneid", 3)])
    admin = bearer(admin_key)

    listing = client.get("/v1/admin/units", headers=admin).json()
    assert {"name": NGHIA_TRUNG, "aliases": ["UBND xã Nghĩa Trung"], "source": "file"} in listing["units"]
    assert listing["unlisted"] == [
        {"unit": BEN_THUY, "spellings": [BEN_THUY, "phuong ben thuy"], "users": 2}
    ]
    [row] = get(client, trainer_key, "units")
    assert (row["unit"], row["listed"], row["attempts"]) == (BEN_THUY, False, 2)

    added = client.post("/v1/admin/units", json={"name": BEN_THUY, "aliases": ["UBND phường Bến Thủy"]}, headers=admin)
    assert added.status_code == 201 and added.json()["source"] == "admin"
    again = client.post("/v1/admin/units", json={"name": "p. ben thuy"}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "unit_exists"
    assert client.post("/v1/admin/units", json={"name": " "}, headers=admin).status_code == 422
    assert client.post("/v1/admin/units", json={"name": BEN_THUY}, headers=bearer(trainer_key)).status_code == 403

    [row] = get(client, trainer_key, "units", unit="ben thuy")
    assert (row["unit"], row["listed"], row["attempts"]) == (BEN_THUY, True, 2)
    assert get(client, trainer_key, "unlisted-units") == []
    assert client.get("/v1/admin/units", headers=admin).json()["unlisted"] == []
    # A user of the bots now gets the listed name for what they type.
    assert services.units.directory().resolve("ubnd phuong ben thuy").name == BEN_THUY


def test_question_rows_carry_the_difficulty_label_and_flags(client, trainer_key, seeded):  # noqa: F811
    rows = get(client, trainer_key, "questions")
    bank = build_quiz_engine(client.app.state.services).bank
    assert rows and all(row["difficulty"] == bank.questions[row["question_id"]].difficulty for row in rows)
    # Four attempts are too few to judge an item: nothing observed, nothing flagged.
    assert all(row["observed"] is None and row["flags"] == [] for row in rows)
