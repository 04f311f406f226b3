"""Ratings of answers: 👍/👎 under found answers on Telegram (buttons), Zalo and the terminal
(numbered options) and the web API; kept once per person and answer, in the message's
transaction; summed for trainers by ``/v1/stats/ratings`` and the dashboard.

Real assistant core, real knowledge base (lexical), SQLite; Telegram and Zalo through the
durable path against the fake Bot API servers on loopback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from fixtures_api import bearer
from fixtures_channels import (
    chat_services,  # noqa: F401 (fixture)
    deliver,
    knowledge_data_dir,  # noqa: F401 (fixture)
    telegram_button_update,
    telegram_text_update,
    zalo_update,
)
from sqlalchemy import func, select

from api.app import create_app
from api.keys import create_key
from bot import commands as cmd
from bot import texts
from bot.channels import telegram as telegram_channel
from bot.channels import zalo as zalo_channel
from bot.channels.terminal import TerminalChat
from bot.delivery import worker
from bot.messages import IncomingMessage
from hocvuso.db.models import AnswerRating, GivenAnswer, InboxUpdate

USER = 777002
QUESTION = "đăng ký VNeID mức 2 ở đâu, cccd 012345678901"


@pytest.fixture
def services(chat_services):  # noqa: F811
    return chat_services


def telegram_send(services, update: dict) -> list[tuple[str, dict]]:
    fake = services.fake_telegram
    before = len(fake.calls)
    deliver(services, telegram_channel, update)
    return fake.calls[before:]


def keyboard(params: dict) -> list[tuple[str, str]]:
    return [(key["text"], key["callback_data"]) for row in params.get("reply_markup", {}).get("inline_keyboard", [])
            for key in row]


def rows(services, model) -> list:
    with services.db.session() as session:
        return list(session.scalars(select(model)))


def test_telegram_answers_carry_rating_buttons_and_a_press_is_kept_once(services):
    calls = telegram_send(services, telegram_text_update(next(services.update_ids), USER, QUESTION))
    (answer,) = [params for method, params in calls if method == "sendMessage"]
    buttons = keyboard(answer)
    (given,) = rows(services, GivenAnswer)
    assert buttons == [(texts.RATE_UP, f"rate:{given.id}:up"), (texts.RATE_DOWN, f"rate:{given.id}:down")]
    # Pseudonymous, redacted, with the first citation and an excerpt of the answer.
    assert given.user != str(USER) and len(given.user) == 64 and given.channel == "telegram"
    assert given.question == "đăng ký VNeID mức 2 ở đâu, cccd [số giấy tờ]"
    assert given.citation.startswith("Tài khoản định danh điện tử VNeID") and given.citation in answer["text"]
    assert given.excerpt and " ".join(answer["text"].split()).startswith(given.excerpt.rstrip("…"))

    press = telegram_send(services, telegram_button_update(next(services.update_ids), USER, buttons[1][1], 1000))
    assert [method for method, _ in press] == ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"]
    assert press[-1][1]["text"] == texts.RATED_DOWN
    again = telegram_send(services, telegram_button_update(next(services.update_ids), USER, buttons[1][1], 1000))
    assert again[-1][1]["text"] == texts.RATED_ALREADY
    changed = telegram_send(services, telegram_button_update(next(services.update_ids), USER, buttons[0][1], 1000))
    assert changed[-1][1]["text"] == texts.RATED_UP
    (rating,) = rows(services, AnswerRating)
    assert (rating.answer_id, rating.rating, rating.user) == (given.id, "up", given.user)


def test_quiz_messages_scope_replies_and_refusals_have_no_rating_buttons(services):
    for text in ("/tracnghiem vneid", "alo", "thời tiết hôm nay thế nào", "cách nuôi tôm thẻ chân trắng"):
        calls = telegram_send(services, telegram_text_update(next(services.update_ids), USER, text))
        for method, params in calls:
            assert not any(payload.startswith("rate:") for _, payload in keyboard(params)), (text, params["text"])
    # A question answered in the middle of the quiz: the numbers still answer the quiz.
    calls = telegram_send(services, telegram_text_update(next(services.update_ids), USER, "VNeID là gì?"))
    (reply,) = [params for method, params in calls if method == "sendMessage"]
    assert texts.quiz_resume_hint(0, 5) in reply["text"]
    assert "reply_markup" not in reply
    assert rows(services, GivenAnswer) == []


def test_zalo_rates_by_number_in_the_same_transaction_as_the_message(services):
    def zalo(text: str) -> list[str]:
        before = len(services.fake_zalo.sent())
        deliver(services, zalo_channel, zalo_update(f"m{next(services.update_ids)}", "zalo-user-9", text))
        return [params["text"] for params in services.fake_zalo.sent()[before:]]

    (answer,) = zalo("vneid muc 2 dang ky o dau")
    assert answer.endswith(f"[1] {texts.RATE_UP}\n[2] {texts.RATE_DOWN}")
    assert answer.index("Nguồn:") < answer.index("[1]")  # the options come last, right before the reply
    assert zalo("2") == [texts.RATED_DOWN]
    assert zalo("2")[0] != texts.RATED_ALREADY  # the options went with the rating: "2" is a question now
    assert [r.rating for r in rows(services, AnswerRating)] == ["down"]
    with services.db.session() as session:  # the rating and the processed mark were one commit
        assert session.scalar(select(func.count()).select_from(InboxUpdate).where(
            InboxUpdate.processed_at.is_(None))) == 0


def test_a_failing_reply_undoes_the_rating_with_the_message(services, monkeypatch):
    calls = telegram_send(services, telegram_text_update(next(services.update_ids), USER, QUESTION))
    payload = keyboard([p for m, p in calls if m == "sendMessage"][0])[0][1]

    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(worker, "enqueue", broken)
    with pytest.raises(RuntimeError):
        deliver(services, telegram_channel, telegram_button_update(next(services.update_ids), USER, payload, 1000))
    assert rows(services, AnswerRating) == []


def test_terminal_rating_and_stale_buttons(services):
    out: list[str] = []
    chat = TerminalChat(services.assistant, "terminal-user-5", out.append)
    chat.send("Bình dân học vụ số là gì?")
    assert f"[1] {texts.RATE_UP}" in out[-1]
    chat.send("1")
    assert out[-1].strip().endswith(texts.RATED_UP)
    reply = services.assistant.handle(
        IncomingMessage(channel="terminal", user_id="x", payload=cmd.rating_payload(999_999, "up")))
    assert reply[0].text == texts.STALE_BUTTON


def test_web_api_rating_and_the_trainers_view(services):
    key = create_key(services.db, "Cô Mai", "trainer")[1]
    with TestClient(create_app(services)) as client:
        found = client.post("/v1/ask", json={"question": "VNeID mức 2 đăng ký ở đâu?"}).json()
        refused = client.post("/v1/ask", json={"question": "cách nuôi tôm thẻ chân trắng"}).json()
        assert found["found"] and len(found["answer_id"]) >= 16 and refused["answer_id"] is None

        url = f"/v1/answers/{found['answer_id']}/rating"
        assert client.post(url, json={"rating": "down"}).json() == {
            "answer_id": found["answer_id"], "rating": "down", "changed": True}
        assert client.post(url, json={"rating": "down"}).json()["changed"] is False
        assert client.post(url, json={"rating": "meh"}).status_code == 422
        assert client.post("/v1/answers/khong-co/rating", json={"rating": "up"}).status_code == 404

        other = client.post("/v1/ask", json={"question": "Bình dân học vụ số là gì?"}).json()
        client.post(f"/v1/answers/{other['answer_id']}/rating", json={"rating": "up"})

        assert client.get("/v1/stats/ratings").status_code == 401
        summary = client.get("/v1/stats/ratings", headers=bearer(key)).json()
        assert (summary["up"], summary["down"]) == (1, 1)
        assert summary["units"] == [{"unit": "", "up": 1, "down": 1}]
        worst = summary["answers"][0]
        assert worst["down"] == 1 and worst["questions"] == ["VNeID mức 2 đăng ký ở đâu?"]
        assert worst["citation"].startswith("Tài khoản định danh điện tử VNeID")
        assert summary["answers"][-1]["up"] == 1
        assert client.get("/v1/stats/ratings", params={"from": "2000-01-02", "to": "2000-01-03"},
                          headers=bearer(key)).json() == {"up": 0, "down": 0, "units": [], "answers": []}

        page = client.get("/dashboard/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/dashboard/login", data={"key": key, "csrf_token": token})
        html = client.get("/dashboard").text
        assert 'id="ratings-table"' in html and "VNeID mức 2 đăng ký ở đâu?" in html
        assert '<div class="value" id="ratings-down">1</div>' in html
        # Worst first: the 👎 answer's row comes before the 👍 one.
        table = html.split('id="ratings-table"')[1]
        assert table.index("VNeID mức 2") < table.index("Bình dân học vụ số là gì?")


def test_rating_payloads_round_trip_and_refuse_strangers():
    assert cmd.parse_payload(cmd.rating_payload(42, "up")) == cmd.Command(cmd.RATE, "up", answer_id=42)
    for bad in ("rate:42:meh", "rate:x:up", "rate:42", "rate:42:up:1"):
        assert cmd.parse_payload(bad).name == cmd.UNKNOWN
    assert len(cmd.rating_payload(10**12, "down").encode()) <= 64


def test_ratings_and_the_previous_question_on_both_databases(database):
    """One rating per person and answer, the summary's order, and the follow-up store, on SQLite and PostgreSQL."""
    from bot import ratings
    from bot.followup import Followups
    from knowledge.records import Answer, Source

    def answer(citation: str) -> Answer:
        return Answer(answer="Trả lời " + citation, found=True, sources=[
            Source(doc_id="d", title="T", section="S", kind="plan", text="x", score=1.0, citation=citation)])

    with database.session() as session:
        good = ratings.remember(session, "u1", "zalo", "Xã A", "câu một", answer("Mục I"))
        bad = ratings.remember(session, "u1", "zalo", "Xã A", "câu hai 0912345678", answer("Mục II"))
        assert ratings.rate(session, good, "u1", "Xã A", "up")
        assert ratings.rate(session, bad, "u1", "Xã A", "down")
        assert ratings.rate(session, bad, "u2", "Xã B", "down")
        assert not ratings.rate(session, bad, "u2", "Xã B", "down")
    summary = ratings.summary(database)
    assert (summary.up, summary.down) == (1, 2)
    assert summary.units == {"Xã A": [1, 1], "Xã B": [0, 1]}
    assert [(g.citation, g.up, g.down) for g in summary.groups] == [("Mục II", 0, 2), ("Mục I", 1, 0)]
    assert summary.groups[0].questions == ["câu hai [số điện thoại]"]
    assert ratings.summary(database, unit="Xã B").down == 1

    followups = Followups(10)
    moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    with database.session() as session:
        followups.remember(session, "u1", "Kế hoạch tỉnh Nghệ An", moment)
        followups.remember(session, "u1", "Kế hoạch tỉnh Hà Tĩnh", moment + timedelta(minutes=1))
    with database.session() as session:
        assert followups.previous(session, "u1", moment + timedelta(minutes=10)) == "Kế hoạch tỉnh Hà Tĩnh"
        assert followups.previous(session, "u1", moment + timedelta(minutes=12)) is None
        assert followups.previous(session, "u2", moment) is None
