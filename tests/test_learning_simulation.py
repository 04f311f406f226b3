"""200 simulated users take quizzes through the assistant core; evidence and statistics must add up.

The users only see what a channel would show them (reply texts and buttons) and know
the right answers from the quiz YAML files, read here directly. Each user's expected
events and every statistic are computed by this test on its own and compared with
the evidence log and :mod:`bot.stats`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import yaml
from sqlalchemy import select

from bot import stats, texts
from bot.core import Assistant
from bot.evidence import EvidenceLog
from bot.messages import IncomingMessage, Reply
from hocvuso.db import Database
from hocvuso.db.models import EvidenceEvent
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR, load_settings
from ingest.pipeline import ingest_paths
from knowledge.base import KnowledgeBase

USERS = 200
UNITS = ["Xã Nghĩa Trung", "Phường Vinh Phú", "Xã Hưng Nguyên", "Trường THCS Nghĩa Đàn"]
SECRET = "bi-mat-mo-phong"
QUESTIONS = [
    "VNeID là gì?",
    "cach dat mat khau an toan",
    "Làm sao nhận biết tin nhắn lừa đảo?",
    "dịch vụ công trực tuyến",
]


@dataclass
class Attempt:
    """What one simulated user knows about one of their attempts."""

    attempt_id: int
    topic: str | None
    answers: list[tuple[str, bool]] = field(default_factory=list)  # (question id, correct)
    completed: bool = False

    @property
    def score(self) -> int:
        return sum(ok for _, ok in self.answers)


@dataclass
class Person:
    raw_id: str
    channel: str
    unit: str | None
    skill: float
    events: list[tuple[str, dict]] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)


def answer_key() -> dict[str, tuple[str, str]]:
    """Question text -> (question id, correct option text), from the YAML files themselves."""
    key = {}
    for path in sorted((PACKAGE_KNOWLEDGE_DIR / "quizzes").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            key[item["question"].strip()] = (item["id"], item["options"][item["correct"] - 1].strip())
    return key


def topic_ids() -> list[str]:
    return [
        yaml.safe_load(p.read_text(encoding="utf-8"))["topic"]
        for p in sorted((PACKAGE_KNOWLEDGE_DIR / "quizzes").glob("*.yaml"))
    ]


def read_question(reply: Reply) -> tuple[str, list[str], int]:
    """Question text, options as shown and the attempt id, read off a question reply."""
    lines = reply.text.splitlines()
    blank = lines.index("")
    options = [line.split(". ", 1)[1] for line in lines[blank + 1:]]
    attempt_id = int(reply.buttons[0].payload.split(":")[2])
    return " ".join(lines[1:blank]), options, attempt_id


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    """The real knowledge base, ingested once for this module (lexical retrieval only, for speed)."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("kb"), embedding={"backend": "none"})
    ingest_paths(settings, progress=False)
    return KnowledgeBase.open(settings)


def test_200_users_through_the_core_give_exact_evidence_and_statistics(knowledge, tmp_path):
    settings = load_settings(data_dir=tmp_path, pseudonym_secret=SECRET)
    db = Database.from_settings(settings)
    assistant = Assistant(knowledge, db, settings, rng=random.Random(2025))
    rng = random.Random(42)
    key, topics = answer_key(), topic_ids()
    people: list[Person] = []
    started = time.perf_counter()

    for n in range(USERS):
        person = Person(
            raw_id=f"sim-{n}",
            channel=("telegram", "zalo", "web")[n % 3],
            unit=rng.choice(UNITS) if rng.random() < 0.75 else None,
            skill=rng.uniform(0.2, 0.97),
        )
        people.append(person)

        def send(text: str | None = None, payload: str | None = None) -> list[Reply]:
            return assistant.handle(IncomingMessage(person.channel, person.raw_id, text=text or "", payload=payload))

        if person.unit:
            send(f"/donvi {person.unit}" if n % 2 else f"don vi {person.unit}")
            person.events.append(("unit_registered", {"unit": person.unit}))
        if n % 10 == 0:
            reply = send(QUESTIONS[n // 10 % len(QUESTIONS)])[0]
            answered = reply.text != texts.NOT_FOUND
            person.events.append(("question_asked", {
                "answered": answered, "sources": list(dict.fromkeys(c.doc_id for c in reply.citations)),
            }))
            lessons: dict[str, str] = {}
            for citation in reply.citations:
                if citation.kind == "lesson":
                    lessons.setdefault(citation.doc_id, citation.section)
            person.events += [("lesson_read", {"lesson": d, "section": s}) for d, s in lessons.items()]

        for round_ in range(2 if n % 10 == 3 else 1):
            topic = None if rng.random() < 0.3 else rng.choice(topics)
            replies = send(f"/quiz {topic}" if topic else "quiz")
            question = replies[-1]
            text, options, attempt_id = read_question(question)
            attempt = Attempt(attempt_id, topic)
            person.attempts.append(attempt)
            person.events.append(("quiz_started", {"attempt_id": attempt_id, "topic": topic, "total": 5}))
            if n % 20 == 7:  # a second /quiz mid-way, then "Tiếp tục": nothing is logged
                prompt = send("/quiz")[0]
                question = send(payload=prompt.buttons[1].payload)[0]
            for position in range(5):
                text, options, _ = read_question(question)
                question_id, right_text = key[text]
                right = options.index(right_text)
                choice = right if rng.random() < person.skill else rng.choice(
                    [i for i in range(len(options)) if i != right]
                )
                if person.channel == "telegram":
                    replies = send(payload=question.buttons[choice].payload)
                elif person.channel == "zalo":
                    replies = send(str(choice + 1))
                else:
                    replies = send("ABCD"[choice])
                correct = choice == right
                assert replies[0].text.startswith("✅" if correct else "❌")
                attempt.answers.append((question_id, correct))
                person.events.append(("quiz_answered", {
                    "attempt_id": attempt_id, "question_id": question_id, "position": position, "correct": correct,
                }))
                if n % 10 == 5 and position == 1:  # gives up after two answers
                    send("/huy")
                    break
                question = replies[1]
            else:
                attempt.completed = True
                passed = attempt.score >= 4
                person.events.append(("quiz_completed", {
                    "attempt_id": attempt_id, "topic": topic, "score": attempt.score, "total": 5, "passed": passed,
                }))
                assert question.text.startswith(f"Hoàn thành bài trắc nghiệm: đúng {attempt.score}/5 câu")

    elapsed = time.perf_counter() - started
    print(f"\n{USERS} users, {sum(len(p.events) for p in people)} events in {elapsed:.1f} s")

    # Evidence: exactly each user's events, in order, under their pseudonym and unit.
    with db.session() as session:
        rows = session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id)).all()
    logged: dict[str, list] = defaultdict(list)
    for row in rows:
        logged[row.user].append((row.event_type, json.loads(row.data), row.unit, row.channel))
    assert len(logged) == USERS
    for person in people:
        user = hmac.new(SECRET.encode(), f"{person.channel}\x1f{person.raw_id}".encode(), hashlib.sha256).hexdigest()
        assert logged[user] == [(kind, data, person.unit, person.channel) for kind, data in person.events]
        assert person.raw_id not in {row.user for row in rows}
    assert len(rows) == sum(len(p.events) for p in people)
    verified = EvidenceLog(db).verify()
    assert verified.ok and verified.checked == len(rows)

    # Statistics, computed independently.
    attempts = [(p, a) for p in people for a in p.attempts]
    completed = [(p, a) for p, a in attempts if a.completed]

    def summary(group):
        done = [a for _, a in group if a.completed]
        ratios = [a.score / 5 for a in done]
        return {
            "participants": len({p.raw_id for p, _ in group}),
            "attempts": len(group),
            "completed": len(done),
            "passed": sum(r >= 0.8 for r in ratios),
            "completion_rate": pytest.approx(len(done) / len(group)),
            "mean_score": pytest.approx(sum(ratios) / len(ratios)),
            "pass_rate": pytest.approx(sum(r >= 0.8 for r in ratios) / len(ratios)),
        }

    asked = sum(kind == "question_asked" for p in people for kind, _ in p.events)
    assert stats.overview(db, stats.StatsFilter()) == {**summary(attempts), "questions_asked": asked}
    assert 0 < len(completed) < len(attempts) and 0 < summary(completed)["passed"] < len(completed)

    by_unit = {row["unit"]: row for row in stats.by_unit(db, stats.StatsFilter())}
    assert set(by_unit) == {p.unit for p in people}
    for unit in by_unit:
        assert by_unit[unit] == {"unit": unit, "listed": None, **summary([(p, a) for p, a in attempts if p.unit == unit])}
    one_unit = stats.overview(db, stats.StatsFilter(unit=UNITS[0]))
    assert one_unit["attempts"] == sum(1 for p, _ in attempts if p.unit == UNITS[0])

    answers = [(qid, ok, a) for _, a in attempts for qid, ok in a.answers]
    per_question = {row["question_id"]: row for row in stats.per_question(db, stats.StatsFilter())}
    assert set(per_question) == {qid for qid, _, _ in answers}
    for question_id, row in per_question.items():
        mine = [(ok, a) for qid, ok, a in answers if qid == question_id]
        assert row["answers"] == len(mine)
        assert row["facility"] == pytest.approx(sum(ok for ok, _ in mine) / len(mine))
        ranked = sorted((x for x in mine if x[1].completed), key=lambda x: (-x[1].score, x[1].attempt_id))
        group = math.floor(0.27 * len(ranked) + 0.5)
        if group == 0:
            assert row["discrimination"] is None
        else:
            upper = sum(ok for ok, _ in ranked[:group]) / group
            lower = sum(ok for ok, _ in ranked[-group:]) / group
            assert row["discrimination"] == pytest.approx(upper - lower)

    distribution = Counter(a.score for _, a in completed)
    assert stats.score_distribution(db, stats.StatsFilter()) == [
        {"score": s, "attempts": distribution[s]} for s in range(6)
    ]
    db.close()
