"""The Database class on SQLite and PostgreSQL: migrations, sessions, UTC times, update de-duplication at intake."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.delivery import inbox
from hocvuso.db import MIGRATIONS_DIR, Database
from hocvuso.db.models import GENESIS_HASH, EvidenceHead, QuizAnswer, QuizAttempt, User
from hocvuso.settings import load_settings

TABLES = {
    "users",
    "quiz_attempts",
    "quiz_answers",
    "evidence_events",
    "evidence_head",
    "api_keys",
    "inbox_updates",
    "outbox_messages",
    "chat_options",
    "worker_heartbeats",
    "units",
    "evidence_checkpoints",
    "dashboard_sessions",
    "alembic_version",
}


def test_migration_creates_every_table_and_the_chain_head(database):
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    with database.session() as session:
        head = session.get(EvidenceHead, 1)
        assert (head.last_id, head.last_hash) == (0, GENESIS_HASH)
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head_revision()


def test_reopening_is_idempotent(database_url):
    for _ in range(2):
        Database.from_url(database_url).close()
    db = Database.from_url(database_url)
    with db.session() as session:
        assert session.scalars(select(EvidenceHead)).all()[0].last_id == 0
    db.close()


def test_processes_starting_together_migrate_once(database_url):
    errors, barrier = [], threading.Barrier(4)

    def open_database():
        barrier.wait()
        try:
            Database.from_url(database_url).close()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_database) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_session_commits_on_success_and_rolls_back_on_error(database):
    with database.session() as session:
        session.add(User(pseudonym="a" * 64, channel="terminal"))
    with pytest.raises(RuntimeError), database.session() as session:
        session.add(User(pseudonym="b" * 64, channel="terminal"))
        session.flush()
        raise RuntimeError("boom")
    with database.session() as session:
        assert session.scalars(select(User.pseudonym)).all() == ["a" * 64]


def test_times_come_back_as_aware_utc(database):
    hanoi = timezone(timedelta(hours=7))
    started = datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=hanoi)
    with database.session() as session:
        attempt = QuizAttempt(user="u" * 64, channel="terminal", topic="vneid", total=1, started_at=started)
        attempt.question_ids, attempt.option_orders = ["vneid-01"], [[2, 0, 1, 3]]
        session.add(attempt)
    with database.session() as session:
        stored = session.get(QuizAttempt, attempt.id)
        assert stored.started_at == started
        assert stored.started_at.tzinfo == UTC
        assert stored.started_at.hour == 1
        assert stored.option_orders == [[2, 0, 1, 3]]
        assert stored.status == "open" and stored.score == 0


def test_answers_are_unique_per_question_and_need_their_attempt(database):
    with database.session() as session:
        attempt = QuizAttempt(user="u" * 64, channel="terminal", question_ids=["x-01"], option_orders=[[0, 1]])
        session.add(attempt)
    answer = {"question_id": "x-01", "topic": "x", "position": 0, "chosen_option": 1, "correct": True}
    with database.session() as session:
        session.add(QuizAnswer(attempt_id=attempt.id, **answer))
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(QuizAnswer(attempt_id=attempt.id, **answer))
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(QuizAnswer(attempt_id=attempt.id + 1000, **answer))


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_inbox_accepts_an_update_only_the_first_time(database):
    assert inbox.accept(database, "telegram", "42", "7", {"update_id": 42}) is True
    assert inbox.accept(database, "telegram", "42", "7", {"update_id": 42}) is False
    assert inbox.accept(database, "zalo", "42", "7", {}) is True


def test_inbox_accepts_once_under_concurrent_retries(database):
    results, barrier = [], threading.Barrier(6)

    def mark():
        barrier.wait()
        results.append(inbox.accept(database, "telegram", "777", "7", {"update_id": 777}))

    threads = [threading.Thread(target=mark) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_sqlite_default_lives_in_the_data_dir_with_wal_and_foreign_keys(tmp_path):
    settings = load_settings(data_dir=tmp_path / "new" / "data", database_url="")
    db = Database.from_settings(settings)
    assert (tmp_path / "new" / "data" / "hocvuso.db").exists()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    db.close()
