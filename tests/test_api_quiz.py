"""The web quiz: same engine and database as the bots, users known only by a pseudonym, attempts
acted on only with the session token the server issued."""

from __future__ import annotations

from fixtures_api import api_settings, bearer, client, services, trainer_key, web_user  # noqa: F401
from sqlalchemy import select

from bot.quiz import QuizEngine
from hocvuso.db.models import EvidenceEvent, QuizAttempt
from knowledge.quizbank import load_bank


def right_option(services, question: dict) -> int:  # noqa: F811
    """The shown position of the correct option, from the real quiz bank."""
    bank = load_bank(services.settings.knowledge_dir / "quizzes")
    item = bank.questions[question["question_id"]]
    return question["options"].index(item.options[item.correct_index])


def test_topics_come_from_the_quiz_bank(client, services):  # noqa: F811
    topics = {topic["id"]: topic for topic in client.get("/v1/quiz/topics").json()}
    bank = load_bank(services.settings.knowledge_dir / "quizzes")
    assert set(topics) == set(bank.topics)
    assert topics["vneid"]["questions"] == len(bank.topics["vneid"].question_ids)


def test_the_topic_list_names_the_courses_of_each_lesson(client):  # noqa: F811
    topics = {topic["id"]: topic for topic in client.get("/v1/quiz/topics").json()}

    assert [c["id"] for c in topics["thanh-toan-so"]["courses"]] == ["cong-dan", "ho-kinh-doanh"]
    assert topics["vneid"]["courses"] == [{"id": "cong-dan", "title": "Công dân số"}]


def session(token: str) -> dict[str, str]:
    return {"X-Quiz-Token": token}


def start(client, body: dict, token: str | None = None):  # noqa: F811
    return client.post("/v1/quiz/attempts", json=body, headers=session(token) if token else {})


def test_a_full_attempt_over_http(client, services):  # noqa: F811
    started = start(client, {"user_id": "trinh-duyet-42", "topic": "mat-khau"})
    assert started.status_code == 201
    question = started.json()
    token = question.pop("token")
    attempt_id, total = question["attempt_id"], question["total"]
    assert question["index"] == 0 and question["topic"] == "mat-khau" and total == 5

    assert client.get("/v1/quiz/current", headers=session(token)).json() == question
    for index in range(total):
        right = right_option(services, question)
        choice = right if index % 2 == 0 else (right + 1) % len(question["options"])
        response = client.post(f"/v1/quiz/attempts/{attempt_id}/answers", headers=session(token),
                               json={"user_id": "trinh-duyet-42", "option": choice, "index": index})
        assert response.status_code == 200, response.text
        feedback = response.json()
        assert feedback["correct"] is (index % 2 == 0)
        assert feedback["correct_option"] == right and feedback["explanation"]
        question = feedback["next"]
    assert question is None
    result = feedback["result"]
    assert (result["score"], result["total"], result["completed"], result["passed"]) == (3, 5, True, False)

    fetched = client.get(f"/v1/quiz/attempts/{attempt_id}", headers=session(token))
    assert fetched.json()["score"] == 3
    # Someone else cannot read it, and a finished attempt takes no more answers.
    assert client.get(f"/v1/quiz/attempts/{attempt_id}", params={"user_id": "trinh-duyet-42"}).status_code == 401
    again = client.post(f"/v1/quiz/attempts/{attempt_id}/answers", headers=session(token), json={"option": 0})
    assert again.status_code == 409 and again.json()["code"] == "attempt_closed"


def test_web_users_are_stored_as_pseudonyms_and_logged_as_evidence(client, services):  # noqa: F811
    start(client, {"user_id": "so-dien-thoai-0912345678"})
    with services.db.session() as session:
        attempt = session.scalars(select(QuizAttempt)).one()
        events = session.scalars(select(EvidenceEvent)).all()
    assert attempt.user == web_user(services.settings, "so-dien-thoai-0912345678")
    assert attempt.channel == "web" and attempt.topic is None
    assert [event.event_type for event in events] == ["quiz_started"]
    assert "0912345678" not in attempt.user + events[0].user + events[0].data


def test_attempt_is_shared_with_the_engine_the_bots_use(client, services):  # noqa: F811
    """The engine is stateless over the database: another engine instance sees the web attempt."""
    question = start(client, {"user_id": "u-7", "topic": "vneid"}).json()
    bots_engine = QuizEngine(load_bank(services.settings.knowledge_dir / "quizzes"), services.db, None,
                             services.settings.quiz)
    assert bots_engine.current(web_user(services.settings, "u-7"))["attempt_id"] == question["attempt_id"]


def test_one_open_attempt_per_user_and_abandon(client):  # noqa: F811
    first = start(client, {"user_id": "u1", "topic": "vneid"}).json()
    second = start(client, {"user_id": "u1", "topic": "lua-dao"})
    assert second.status_code == 409
    assert second.json()["code"] == "quiz_in_progress" and str(first["attempt_id"]) in second.json()["detail"]
    assert client.delete("/v1/quiz/current", headers=session(first["token"])).status_code == 204
    assert client.get("/v1/quiz/current", headers=session(first["token"])).status_code == 404
    assert start(client, {"user_id": "u1", "topic": "lua-dao"}).status_code == 201


def test_quiz_errors_are_clear(client):  # noqa: F811
    unknown = start(client, {"user_id": "u2", "topic": "khong-co"})
    assert unknown.status_code == 404 and "khong-co" in unknown.json()["detail"]
    question = start(client, {"user_id": "u2", "topic": "vneid"}).json()
    url, mine = f"/v1/quiz/attempts/{question['attempt_id']}/answers", session(question["token"])
    out_of_range = client.post(url, headers=mine, json={"option": len(question["options"])})
    assert out_of_range.status_code == 422 and out_of_range.json()["code"] == "invalid_option"
    stale = client.post(url, headers=mine, json={"option": 0, "index": 3})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_answer"
    not_mine = client.post(url, headers=mine, json={"user_id": "u3", "option": 0})
    assert not_mine.status_code == 403 and not_mine.json()["code"] == "bad_quiz_token"


def test_knowing_a_user_id_is_not_enough_to_touch_their_attempt(client, services):  # noqa: F811
    victim = start(client, {"user_id": "nan-nhan", "topic": "vneid"}).json()
    url = f"/v1/quiz/attempts/{victim['attempt_id']}"
    # The old way: the id alone. Refused everywhere, nothing changes.
    assert client.delete("/v1/quiz/current", params={"user_id": "nan-nhan"}).status_code == 401
    assert client.get("/v1/quiz/current", params={"user_id": "nan-nhan"}).status_code == 401
    assert client.post(f"{url}/answers", json={"user_id": "nan-nhan", "option": 0}).status_code == 401
    # A token of one's own attempt, or a forged one, does not open someone else's.
    attacker = start(client, {"user_id": "ke-xau", "topic": "vneid"}).json()
    assert client.post(f"{url}/answers", headers=session(attacker["token"]), json={"option": 0}).status_code == 403
    assert client.get(url, headers=session(attacker["token"])).status_code == 404
    forged = f"{victim['attempt_id']}.{attacker['token'].split('.')[1]}"
    for call in (lambda: client.delete("/v1/quiz/current", headers=session(forged)),
                 lambda: client.post(f"{url}/answers", headers=session(forged), json={"option": 0}),
                 lambda: client.get("/v1/quiz/current", headers=session("1.khong-hop-le"))):
        assert call().status_code == 403
    mine = session(victim["token"])
    assert client.get("/v1/quiz/current", headers=mine).json()["index"] == 0, "the victim's attempt is untouched"


def test_a_server_issued_identity_needs_no_user_id(client, services):  # noqa: F811
    first = start(client, {"topic": "vneid"}).json()
    assert client.delete("/v1/quiz/current", headers=session(first["token"])).status_code == 204
    second = start(client, {"topic": "lua-dao"}, token=first["token"])
    assert second.status_code == 201
    with services.db.session() as session_:
        users = {attempt.user for attempt in session_.scalars(select(QuizAttempt))}
    assert len(users) == 1, "the last token keeps the same (pseudonymous) user"
    third = start(client, {"topic": "vneid"})
    assert third.status_code == 201 and third.json()["attempt_id"] != second.json()["attempt_id"]


def test_web_quiz_counts_in_metrics_and_stats(client, trainer_key):  # noqa: F811
    start(client, {"user_id": "u9", "topic": "vneid"})
    assert 'hocvuso_quiz_attempts_total{event="started"} 1.0' in client.get("/metrics").text
    overview = client.get("/v1/stats/overview", headers=bearer(trainer_key)).json()
    assert overview["attempts"] == 1 and overview["participants"] == 1
