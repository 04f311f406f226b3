"""The quiz engine on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.evidence import EvidenceLog
from bot.quiz import AttemptClosed, InvalidOption, NoQuestions, QuizEngine, QuizInProgress, StaleAnswer, UnknownTopic
from hocvuso.db import Database
from hocvuso.db.models import EvidenceEvent, QuizAnswer, QuizAttempt, User
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR, QuizSettings
from knowledge.quizbank import Question, QuizBank, Topic, load_bank

T0 = datetime(2025, 5, 14, 8, 0, tzinfo=UTC)


class Clock:
    """A settable clock, so expiry can be tested without waiting."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def bank() -> QuizBank:
    return load_bank(PACKAGE_KNOWLEDGE_DIR / "quizzes")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(bank, database, clock) -> QuizEngine:
    return QuizEngine(bank, database, EvidenceLog(database), QuizSettings(), rng=random.Random(7), clock=clock)


def correct_shown(bank: QuizBank, view: dict) -> int:
    """The shown (0-based) index of the correct option, worked out from the bank."""
    question = bank.questions[view["question_id"]]
    return view["options"].index(question.options[question.correct_index])


def events(database) -> list[tuple[str, str, str | None, dict]]:
    with database.session() as session:
        rows = session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id))
        return [(e.event_type, e.user, e.unit, json.loads(e.data)) for e in rows]


def test_a_topic_quiz_draws_distinct_questions_of_the_topic_with_shuffled_options(engine, bank):
    view = engine.start("u1", "telegram", "lua-dao")

    with engine.db.session() as session:
        attempt = session.scalars(select(QuizAttempt)).one()
    assert attempt.total == 5 and attempt.status == "open" and attempt.topic == "lua-dao"
    assert len(set(attempt.question_ids)) == 5
    assert all(bank.questions[q].topic == "lua-dao" for q in attempt.question_ids)
    for question_id, order in zip(attempt.question_ids, attempt.option_orders, strict=True):
        assert sorted(order) == list(range(len(bank.questions[question_id].options)))
    first = bank.questions[attempt.question_ids[0]]
    assert view == {
        "attempt_id": attempt.id,
        "index": 0,
        "total": 5,
        "question_id": first.id,
        "question": first.question,
        "options": [first.options[i] for i in attempt.option_orders[0]],
        "topic": "lua-dao",
        "topic_name": bank.topics["lua-dao"].name,
    }
    assert engine.current("u1") == view


def test_answering_every_question_scores_passes_and_logs_evidence(engine, bank, database):
    with database.session() as session:
        session.add(User(pseudonym="u1", channel="zalo", unit="Xã Nghĩa Trung"))
    view = engine.start("u1", "zalo", "vneid")
    attempt_id = view["attempt_id"]
    chosen = []
    for position in range(5):
        # Right answers except the third.
        option = correct_shown(bank, view) if position != 2 else (correct_shown(bank, view) + 1) % len(view["options"])
        chosen.append((view["question_id"], option, position != 2))
        outcome = engine.answer("u1", attempt_id, option, position=position)
        question = bank.questions[view["question_id"]]
        assert outcome["correct"] is (position != 2)
        assert outcome["correct_option"] == correct_shown(bank, view)
        assert outcome["correct_text"] == question.options[question.correct_index]
        assert outcome["explanation"] == question.explanation
        assert outcome["citation"] == {
            "lesson": "02-vneid", "title": question.lesson_title, "section": question.section
        }
        view = outcome["next"]
        assert (view is None) is (position == 4)

    result = outcome["result"]
    assert result == engine.result(attempt_id)
    summary = (result["score"], result["total"], result["ratio"], result["passed"], result["completed"])
    assert summary == (4, 5, 0.8, True, True)
    assert engine.current("u1") is None
    with database.session() as session:
        answers = session.scalars(select(QuizAnswer).order_by(QuizAnswer.position)).all()
        attempt = session.get(QuizAttempt, attempt_id)
    assert [(a.question_id, a.correct) for a in answers] == [(q, ok) for q, _, ok in chosen]
    for answer, (question_id, shown, _) in zip(answers, chosen, strict=True):
        # Stored as the bank's original index, whatever order it was shown in.
        assert answer.chosen_option == attempt.option_orders[answer.position][shown]
        assert answer.correct is (answer.chosen_option == bank.questions[question_id].correct_index)
    assert attempt.status == "completed" and attempt.completed_at is not None and attempt.unit == "Xã Nghĩa Trung"

    logged = events(database)
    assert [e[0] for e in logged] == ["quiz_started"] + ["quiz_answered"] * 5 + ["quiz_completed"]
    assert {(e[1], e[2]) for e in logged} == {("u1", "Xã Nghĩa Trung")}
    assert logged[0][3] == {"attempt_id": attempt_id, "topic": "vneid", "total": 5}
    assert [e[3]["question_id"] for e in logged[1:6]] == [q for q, _, _ in chosen]
    assert logged[-1][3] == {"attempt_id": attempt_id, "topic": "vneid", "score": 4, "total": 5, "passed": True}
    assert EvidenceLog(database).verify().ok


def test_three_of_five_does_not_pass(engine, bank):
    view = engine.start("u1", "terminal", "mat-khau")
    for position in range(5):
        right = correct_shown(bank, view)
        option = right if position < 3 else (right + 1) % len(view["options"])
        outcome = engine.answer("u1", view["attempt_id"], option, position)
        view = outcome["next"]
    assert (outcome["result"]["score"], outcome["result"]["passed"]) == (3, False)


def test_a_second_start_is_refused_while_an_attempt_is_open(engine):
    first = engine.start("u1", "telegram")

    with pytest.raises(QuizInProgress) as raised:
        engine.start("u1", "telegram", "vneid")
    assert raised.value.attempt_id == first["attempt_id"]
    engine.start("u2", "telegram")  # other users are not affected

    engine.abandon("u1")
    assert engine.current("u1") is None
    second = engine.start("u1", "telegram", "vneid")
    assert second["attempt_id"] != first["attempt_id"]
    assert engine.result(first["attempt_id"])["status"] == "abandoned"


def test_a_restart_resumes_the_attempt_with_the_same_questions_and_option_order(bank, database_url, clock):
    first_db = Database.from_url(database_url)
    engine = QuizEngine(bank, first_db, EvidenceLog(first_db), QuizSettings(), rng=random.Random(1), clock=clock)
    view = engine.start("u1", "telegram", "tin-gia")
    view = engine.answer("u1", view["attempt_id"], 0, 0)["next"]
    view = engine.answer("u1", view["attempt_id"], 1, 1)["next"]
    first_db.close()

    # A new process: new database object, new engine, different randomness.
    second_db = Database.from_url(database_url)
    try:
        resumed = QuizEngine(
            bank, second_db, EvidenceLog(second_db), QuizSettings(), rng=random.Random(99), clock=clock
        )
        assert resumed.current("u1") == view
        assert view["index"] == 2
        outcome = resumed.answer("u1", view["attempt_id"], correct_shown(bank, view), 2)
        assert outcome["correct"] and outcome["next"]["index"] == 3
    finally:
        second_db.close()


def test_an_idle_attempt_expires_after_the_configured_minutes(bank, database, clock):
    engine = QuizEngine(
        bank, database, EvidenceLog(database), QuizSettings(expire_minutes=30), rng=random.Random(3), clock=clock
    )
    view = engine.start("u1", "zalo")
    clock.now = T0 + timedelta(minutes=29)
    view = engine.answer("u1", view["attempt_id"], 0, 0)["next"]  # activity restarts the countdown
    clock.now = T0 + timedelta(minutes=58)
    assert engine.current("u1") == view

    clock.now = T0 + timedelta(minutes=60)
    assert engine.current("u1") is None
    assert engine.result(view["attempt_id"])["status"] == "expired"
    with pytest.raises(AttemptClosed):
        engine.answer("u1", view["attempt_id"], 0, 1)
    assert engine.start("u1", "zalo")["attempt_id"] != view["attempt_id"]


def test_stale_wrong_and_foreign_answers_are_refused_without_recording(engine, database):
    view = engine.start("u1", "telegram", "vneid")
    attempt_id = view["attempt_id"]
    engine.answer("u1", attempt_id, 0, 0)

    with pytest.raises(StaleAnswer):
        engine.answer("u1", attempt_id, 1, 0)  # an old button of question 1
    with pytest.raises(InvalidOption):
        engine.answer("u1", attempt_id, 7, 1)
    with pytest.raises(AttemptClosed):
        engine.answer("u2", attempt_id, 0, 1)  # somebody else's attempt
    with pytest.raises(AttemptClosed):
        engine.answer("u1", attempt_id + 100, 0)
    with database.session() as session:
        assert len(session.scalars(select(QuizAnswer)).all()) == 1
    assert [e[0] for e in events(database)] == ["quiz_started", "quiz_answered"]


def test_concurrent_taps_on_the_same_question_record_one_answer(engine, database):
    view = engine.start("u1", "telegram", "vneid")
    outcomes, barrier = [], threading.Barrier(6)

    def tap():
        barrier.wait()
        try:
            engine.answer("u1", view["attempt_id"], 0, 0)
            outcomes.append("ok")
        except StaleAnswer:
            outcomes.append("stale")

    threads = [threading.Thread(target=tap) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] + ["stale"] * 5
    with database.session() as session:
        assert len(session.scalars(select(QuizAnswer)).all()) == 1
        assert session.scalars(select(QuizAttempt)).one().current_index == 1


def test_options_are_shuffled_per_attempt_and_the_draw_is_reproducible(bank, database, clock):
    def draw(seed: int, users: int, run: str) -> list[tuple]:
        engine = QuizEngine(bank, database, EvidenceLog(database), QuizSettings(), rng=random.Random(seed), clock=clock)
        shown = []
        for n in range(users):
            view = engine.start(f"{run}-{n}", "web", "thanh-toan-so")
            shown.append((view["question_id"], tuple(view["options"]), correct_shown(bank, view)))
        return shown

    many = draw(5, 40, "a")
    # The correct answer turns up in every position, and the same question in several orders.
    assert {position for _, _, position in many} == {0, 1, 2, 3}
    orders: dict[str, set] = {}
    for question_id, options, _ in many:
        orders.setdefault(question_id, set()).add(options)
    assert max(len(o) for o in orders.values()) > 1
    assert draw(11, 3, "b") == draw(11, 3, "c")


def test_a_mixed_quiz_spans_topics_and_a_small_topic_gives_a_shorter_quiz(bank, database, clock):
    engine = QuizEngine(bank, database, EvidenceLog(database), QuizSettings(), rng=random.Random(2), clock=clock)
    topics_seen = set()
    for n in range(10):
        view = engine.start(f"m{n}", "web")
        with database.session() as session:
            attempt = session.get(QuizAttempt, view["attempt_id"])
            assert attempt.topic is None and len(set(attempt.question_ids)) == 5
            topics_seen |= {bank.questions[q].topic for q in attempt.question_ids}
    assert len(topics_seen) > 5

    small = QuizBank(
        topics={"t": Topic("t", "Chủ đề nhỏ", "01-x", "Bài X", (), ("t-01", "t-02"))},
        questions={
            qid: Question(qid, "t", "01-x", "Bài X", "Mục tiêu", f"Câu {qid}?", ("Đúng", "Sai"), 0, "Vì vậy.", "easy")
            for qid in ("t-01", "t-02")
        },
    )
    tiny = QuizEngine(small, database, EvidenceLog(database), QuizSettings(), rng=random.Random(2), clock=clock)
    assert tiny.start("s1", "web", "t")["total"] == 2
    assert tiny.topics() == [
        {"id": "t", "name": "Chủ đề nhỏ", "lesson": "01-x", "lesson_title": "Bài X", "courses": [], "questions": 2}
    ]
    with pytest.raises(UnknownTopic):
        tiny.start("s2", "web", "khong-co")
    with pytest.raises(NoQuestions):
        QuizEngine(QuizBank(), database, EvidenceLog(database), QuizSettings()).start("s3", "web")


def test_an_open_attempt_whose_questions_left_the_bank_is_dropped(bank, database, clock):
    engine = QuizEngine(bank, database, EvidenceLog(database), QuizSettings(), rng=random.Random(4), clock=clock)
    view = engine.start("u1", "web", "vneid")
    kept = {k: v for k, v in bank.questions.items() if k != view["question_id"]}
    edited = QuizBank(topics=bank.topics, questions=kept)

    after_edit = QuizEngine(edited, database, EvidenceLog(database), QuizSettings(), clock=clock)

    assert after_edit.current("u1") is None
    assert after_edit.result(view["attempt_id"])["status"] == "abandoned"


def test_history_lists_completed_attempts_newest_first(engine, bank, clock):
    for minutes, topic in ((0, "vneid"), (10, "lua-dao")):
        clock.now = T0 + timedelta(minutes=minutes)
        view = engine.start("u1", "telegram", topic)
        while view:
            outcome = engine.answer("u1", view["attempt_id"], correct_shown(bank, view), view["index"])
            view = outcome["next"]
    engine.start("u1", "telegram")  # open: not in the history

    history = engine.history("u1")

    assert [(h["topic"], h["score"], h["passed"]) for h in history] == [("lua-dao", 5, True), ("vneid", 5, True)]
    assert history[0]["completed_at"] == T0 + timedelta(minutes=10)
    assert engine.history("someone-else") == []
