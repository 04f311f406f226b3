"""Fixtures and helpers of the HTTP app's tests: a real app on SQLite (and Chroma) in tmp_path.

Test modules import the fixtures they use from here (``from fixtures_api import ...``).
``seed_attempts`` plays quiz attempts through the real :class:`bot.quiz.QuizEngine`
on chosen days, answering right or wrong on purpose, so the expected statistics
can be worked out by hand in each test.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import build_quiz_engine
from api.keys import create_key
from bot.evidence import EvidenceLog
from bot.identity import pseudonym
from bot.quiz import QuizEngine
from hocvuso.db.models import User
from hocvuso.services import Services
from hocvuso.settings import load_settings


@dataclass(frozen=True)
class Play:
    """One quiz attempt to seed: who (raw web id), their unit, the day, the topic, how many right."""

    user: str
    unit: str | None
    day: date
    topic: str
    correct: int


def web_user(settings, raw_id: str) -> str:
    """The pseudonym the app gives a web user."""
    return pseudonym(settings.pseudonym_secret.get_secret_value(), "web", raw_id)


def register_unit(db, settings, raw_id: str, unit: str) -> None:
    """Give a web user a unit, as the bots' ``/donvi`` command does."""
    with db.session() as session:
        session.add(User(pseudonym=web_user(settings, raw_id), channel="web", unit=unit))


def seed_attempts(services: Services, plays: list[Play], seed: int = 7) -> None:
    """Play every attempt to the end through the real quiz engine, on its day at noon UTC."""
    db, settings = services.db, services.settings
    bank_engine = build_quiz_engine(services)
    registered = set()
    for number, play in enumerate(plays):
        if play.unit and play.user not in registered:
            register_unit(db, settings, play.user, play.unit)
            registered.add(play.user)
        noon = datetime.combine(play.day, time(12), tzinfo=UTC)
        engine = QuizEngine(bank_engine.bank, db, EvidenceLog(db), settings.quiz,
                            rng=random.Random(seed + number), clock=lambda noon=noon: noon)
        user = web_user(settings, play.user)
        view = engine.start(user, "web", play.topic)
        for index in range(view["total"]):
            question = engine.bank.questions[view["question_id"]]
            right = view["options"].index(question.options[question.correct_index])
            option = right if index < play.correct else (right + 1) % len(view["options"])
            feedback = engine.answer(user, view["attempt_id"], option)
            view = feedback["next"]


def bearer(key: str) -> dict[str, str]:
    """The Authorization header of an API key."""
    return {"Authorization": f"Bearer {key}"}


# Lexical retrieval only: the tests are about the HTTP layer, and stay fast without a model.
TEST_EMBEDDING = {"backend": "none"}


@pytest.fixture(scope="session")
def ingested_dir(tmp_path_factory):
    """A data dir whose Chroma store holds the shipped plans and lessons (ingested once, read only)."""
    from ingest.pipeline import ingest_paths

    data_dir = tmp_path_factory.mktemp("ingested")
    report = ingest_paths(load_settings(data_dir=data_dir, embedding=TEST_EMBEDDING), progress=False)
    assert report.ok and report.total_chunks > 0
    return data_dir


@pytest.fixture
def api_settings(tmp_path):
    """Settings with everything (SQLite, an empty Chroma) under tmp_path."""
    return load_settings(data_dir=tmp_path / "data", embedding=TEST_EMBEDDING)


@pytest.fixture
def kb_settings(tmp_path, ingested_dir):
    """Settings on the ingested store, with a database of the test's own."""
    return load_settings(data_dir=ingested_dir, database_url=f"sqlite:///{tmp_path / 'hocvuso.db'}",
                         embedding=TEST_EMBEDDING)


@pytest.fixture
def services(api_settings) -> Iterator[Services]:
    """Services over the test settings, closed after the test."""
    built = Services(api_settings)
    yield built
    built.close()


@pytest.fixture
def client(services) -> Iterator[TestClient]:
    """A client of the real app (lifespan run), on the test services."""
    with TestClient(create_app(services)) as test_client:
        yield test_client


@pytest.fixture
def trainer_key(services) -> str:
    """A trainer API key."""
    return create_key(services.db, "Giảng viên thử", "trainer")[1]


@pytest.fixture
def admin_key(services) -> str:
    """An admin API key."""
    return create_key(services.db, "Quản trị thử", "admin")[1]
