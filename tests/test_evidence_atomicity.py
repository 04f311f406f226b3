"""A state change and its evidence event commit together or not at all (SQLite and PostgreSQL).

Failures are injected inside the evidence append, after the caller's own change has
been written to the open transaction: the hash function raising for one event type,
or the chain head row missing (a real storage fault).
"""

from __future__ import annotations

import json
import random
import threading

import pytest
from sqlalchemy import select, text

import bot.evidence
from bot.core import Assistant, AssistantUnavailable
from bot.evidence import EvidenceLog
from bot.messages import IncomingMessage
from bot.quiz import QuizEngine
from hocvuso.db.models import EvidenceEvent, QuizAnswer, QuizAttempt, User
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR, QuizSettings, load_settings
from knowledge.quizbank import QuizBank, load_bank
from knowledge.records import Answer


class InjectedFailure(Exception):
    """The fault planted in the evidence append."""


@pytest.fixture(scope="module")
def bank() -> QuizBank:
    return load_bank(PACKAGE_KNOWLEDGE_DIR / "quizzes")


@pytest.fixture
def engine(bank, database) -> QuizEngine:
    return QuizEngine(bank, database, EvidenceLog(database), QuizSettings(), rng=random.Random(3))


@pytest.fixture
def fail_on(monkeypatch):
    """Make hashing raise for the given event type, as a crash in the middle of the append would."""

    def plant(event_type: str) -> None:
        real_hash = bot.evidence.event_hash

        def failing_hash(event_id, created_at, kind, *rest):
            if kind == event_type:
                raise InjectedFailure(f"hỏng khi ghi {kind}")
            return real_hash(event_id, created_at, kind, *rest)

        monkeypatch.setattr(bot.evidence, "event_hash", failing_hash)

    return plant


def stored(database) -> tuple[list[tuple], list[tuple], list[str]]:
    """Attempts (status, index, score), answers (attempt, position) and event types in the store."""
    with database.session() as session:
        attempts = [(a.status, a.current_index, a.score) for a in session.scalars(select(QuizAttempt))]
        answers = [(a.attempt_id, a.position) for a in session.scalars(select(QuizAnswer))]
        events = list(session.scalars(select(EvidenceEvent.event_type).order_by(EvidenceEvent.id)))
    return attempts, answers, events


def right_option(bank: QuizBank, view: dict) -> int:
    question = bank.questions[view["question_id"]]
    return view["options"].index(question.options[question.correct_index])


def test_a_failed_answer_event_leaves_neither_the_answer_nor_the_event(engine, database, fail_on, monkeypatch):
    view = engine.start("u1", "telegram", "vneid")
    fail_on("quiz_answered")
    with pytest.raises(InjectedFailure):
        engine.answer("u1", view["attempt_id"], 0)
    assert stored(database) == ([("open", 0, 0)], [], ["quiz_started"])

    monkeypatch.undo()  # the fault is gone: the same answer now goes through, once
    feedback = engine.answer("u1", view["attempt_id"], 0)
    assert feedback["next"]["index"] == 1
    assert stored(database)[1:] == ([(view["attempt_id"], 0)], ["quiz_started", "quiz_answered"])
    assert EvidenceLog(database).verify().ok


def test_a_failed_completion_event_undoes_the_last_answer_and_its_event(engine, bank, database, fail_on):
    view = engine.start("u1", "zalo", "lua-dao")
    for _ in range(view["total"] - 1):
        view = engine.answer("u1", view["attempt_id"], right_option(bank, view))["next"]
    fail_on("quiz_completed")  # quiz_answered of the last question is appended first, then this fails
    with pytest.raises(InjectedFailure):
        engine.answer("u1", view["attempt_id"], right_option(bank, view))

    attempts, answers, events = stored(database)
    last = view["total"] - 1
    assert attempts == [("open", last, last)]
    assert len(answers) == last
    assert events == ["quiz_started"] + ["quiz_answered"] * last
    assert engine.current("u1")["index"] == last
    assert EvidenceLog(database).verify().ok


def test_a_failed_start_event_stores_no_attempt(engine, database, fail_on, monkeypatch):
    fail_on("quiz_started")
    with pytest.raises(InjectedFailure):
        engine.start("u1", "web", "vneid")
    assert stored(database) == ([], [], [])
    assert engine.current("u1") is None

    monkeypatch.undo()
    assert engine.start("u1", "web", "vneid")["index"] == 0  # no half-started attempt is in the way
    assert stored(database)[2] == ["quiz_started"]


def test_a_missing_chain_head_stops_the_answer_from_being_stored(engine, database):
    view = engine.start("u1", "telegram", "vneid")
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM evidence_head"))
    with pytest.raises(bot.evidence.EvidenceError):
        engine.answer("u1", view["attempt_id"], 0)
    assert stored(database) == ([("open", 0, 0)], [], ["quiz_started"])


class NoKnowledge:
    """A knowledge base that never finds anything (these tests are about storage)."""

    def ask(self, question: str) -> Answer:
        return Answer(answer="", found=False, sources=[])


def test_a_unit_is_not_registered_without_its_event(database, tmp_path, bank):
    settings = load_settings(data_dir=tmp_path)
    assistant = Assistant(NoKnowledge(), database, settings, bank=bank)
    say = lambda words: assistant.handle(IncomingMessage("telegram", "tg-42", text=words))  # noqa: E731
    say("/start")
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM evidence_head"))
    with pytest.raises(AssistantUnavailable):
        say("/donvi Xã Nghĩa Trung")
    with database.session() as session:
        assert list(session.scalars(select(User.unit))) == [None]
        assert list(session.scalars(select(EvidenceEvent))) == []


def test_concurrent_quizzes_and_appends_keep_one_gapless_chain(bank, database):
    log = EvidenceLog(database)
    players, loggers, per_logger = 4, 2, 10
    barrier = threading.Barrier(players + loggers)
    errors: list[BaseException] = []

    def play(number: int) -> None:
        engine = QuizEngine(bank, database, log, QuizSettings(), rng=random.Random(number))
        barrier.wait()
        view = engine.start(f"p{number}", "web", "vneid")
        while view is not None:
            view = engine.answer(f"p{number}", view["attempt_id"], right_option(bank, view))["next"]

    def append(number: int) -> None:
        barrier.wait()
        for i in range(per_logger):
            log.append("question_asked", f"q{number}", "web", None, {"answered": False, "n": i})

    def guarded(target, number: int) -> None:
        try:
            target(number)
        except BaseException as error:  # reported below, so a failing thread fails the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(play, n)) for n in range(players)]
    threads += [threading.Thread(target=guarded, args=(append, n)) for n in range(loggers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    total = QuizSettings().questions_per_attempt
    with database.session() as session:
        events = session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id)).all()
        answers = session.scalars(select(QuizAnswer)).all()
    expected = players * (total + 2) + loggers * per_logger
    assert [event.id for event in events] == list(range(1, expected + 1))
    answered = [json.loads(e.data) for e in events if e.event_type == "quiz_answered"]
    assert sorted((a["attempt_id"], a["position"]) for a in answered) == sorted(
        (a.attempt_id, a.position) for a in answers
    )
    result = log.verify()
    assert (result.ok, result.checked) == (True, expected)
