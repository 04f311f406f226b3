"""One open quiz attempt per user, kept by the database itself (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import select

from bot.evidence import EvidenceLog
from bot.quiz import QuizEngine, QuizInProgress
from hocvuso.db.models import EvidenceEvent, QuizAttempt
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR, QuizSettings
from knowledge.quizbank import load_bank

STARTS = 20


@pytest.fixture(scope="module")
def bank():
    return load_bank(PACKAGE_KNOWLEDGE_DIR / "quizzes")


def test_twenty_concurrent_starts_open_exactly_one_attempt(bank, database):
    barrier = threading.Barrier(STARTS)
    started, refused, errors = [], [], []

    def start(number: int) -> None:
        engine = QuizEngine(bank, database, EvidenceLog(database), QuizSettings(), rng=random.Random(number))
        barrier.wait()
        try:
            started.append(engine.start("cung-mot-nguoi", "web", "vneid")["attempt_id"])
        except QuizInProgress as exc:
            refused.append(exc.attempt_id)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(STARTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(started) == 1 and len(refused) == STARTS - 1
    assert set(refused) == set(started), "every refusal names the one open attempt"
    with database.session() as session:
        attempts = session.scalars(select(QuizAttempt)).all()
        events = session.scalars(select(EvidenceEvent.event_type)).all()
    assert [a.status for a in attempts] == ["open"]
    assert events == ["quiz_started"]
    assert EvidenceLog(database).verify().ok


def test_after_the_attempt_ends_a_new_one_can_start(bank, database):
    engine = QuizEngine(bank, database, EvidenceLog(database), QuizSettings(), rng=random.Random(1))
    first = engine.start("u", "web", "vneid")
    with pytest.raises(QuizInProgress):
        engine.start("u", "web", "lua-dao")
    engine.abandon("u")
    assert engine.start("u", "web", "lua-dao")["attempt_id"] != first["attempt_id"]


def test_the_migration_keeps_the_newest_of_several_open_attempts(database_url):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from hocvuso.db import MIGRATIONS_DIR, Database

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        for number in range(3):  # what concurrent starts could leave before the index existed
            connection.execute(text(
                "INSERT INTO quiz_attempts (\"user\", channel, question_ids, option_orders, current_index, score,"
                " total, status, started_at, updated_at) VALUES ('u', 'web', '[]', '[]', 0, 0, 5, 'open', :t, :t)"
            ), {"t": f"2025-01-0{number + 1} 00:00:00"})
    engine.dispose()
    database = Database.from_url(database_url)
    with database.session() as session:
        assert [(a.id, a.status) for a in session.scalars(select(QuizAttempt).order_by(QuizAttempt.id))] == [
            (1, "abandoned"), (2, "abandoned"), (3, "open")]
    database.close()
