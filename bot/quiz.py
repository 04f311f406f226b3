"""The quiz engine: attempts of a few questions, one at a time, kept in the database.

Everything about an attempt (questions drawn, option order shown, progress, score)
lives in ``quiz_attempts``/``quiz_answers``, so a restarted bot resumes where the
user was. Options are shuffled per attempt; answers arrive as the index *shown*
and are stored as the bank's original index. An attempt left untouched for
``expire_minutes`` expires the next time the user comes back.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hocvuso.db.models import QuizAnswer, QuizAttempt, User, utcnow
from knowledge.courses import Courses
from knowledge.quizbank import Question, QuizBank


def pass_needed(total: int, pass_ratio: float) -> int:
    """The fewest correct answers that pass an attempt of ``total`` questions."""
    # round() first: 0.7 * 10 is 7.000000000000001 in floating point.
    return math.ceil(round(pass_ratio * total, 9))


class QuizError(Exception):
    """A quiz action that cannot be done as asked."""


class QuizInProgress(QuizError):
    """The user already has an open attempt."""

    def __init__(self, attempt_id: int):
        super().__init__(f"attempt {attempt_id} is still open")
        self.attempt_id = attempt_id


class UnknownTopic(QuizError):
    """The topic is not in the bank."""


class NoQuestions(QuizError):
    """The bank has no question for what was asked."""


class AttemptClosed(QuizError):
    """The attempt does not exist for this user or is no longer open."""


class StaleAnswer(QuizError):
    """The answer is for a question that is no longer the current one (a repeat or an old button)."""


class InvalidOption(QuizError):
    """The option index is not one of the question's options."""

    def __init__(self, count: int):
        super().__init__(f"option must be in 0..{count - 1}")
        self.count = count


class QuizEngine:
    """Starts, resumes, answers and scores quiz attempts for pseudonymous users."""

    def __init__(
        self,
        bank: QuizBank,
        db,
        evidence,
        quiz_settings,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
        courses: Courses | None = None,
    ):
        self.bank = bank
        self.courses = courses or Courses()
        self.db = db
        self.evidence = evidence
        self.settings = quiz_settings
        self.rng = rng or random.Random()
        self.clock = clock

    def topics(self) -> list[dict]:
        """The topics of the bank: id, name, lesson (id and title), courses and number of questions."""
        return [
            {
                "id": t.id,
                "name": t.name,
                "lesson": t.lesson,
                "lesson_title": t.lesson_title,
                "courses": [{"id": c.id, "title": c.title} for c in self.courses.of_lesson(t.lesson)],
                "questions": len(t.question_ids),
            }
            for t in self.bank.topics.values()
        ]

    def start(self, user: str, channel: str, topic: str | None = None) -> dict:
        """Open a new attempt and return its first question; raise QuizInProgress if one is open.

        The database keeps one open attempt per user (a unique partial index), so of
        concurrent starts exactly one opens an attempt and logs ``quiz_started``.
        """
        if topic is not None and topic not in self.bank.topics:
            raise UnknownTopic(topic)
        pool = self.bank.by_topic(topic) if topic else list(self.bank.questions.values())
        if not pool:
            raise NoQuestions(topic or "")
        now = self.clock()
        try:
            return self._start(user, channel, topic, pool, now)
        except IntegrityError:
            # Another request for this user opened an attempt between our check and our insert.
            with self.db.session() as session:
                current = self._open_attempt(session, user, now)
            raise QuizInProgress(current.id if current else 0) from None

    def _start(self, user: str, channel: str, topic: str | None, pool: list[Question], now: datetime) -> dict:
        with self.db.session() as session:
            current = self._open_attempt(session, user, now)
            if current is not None:
                raise QuizInProgress(current.id)
            unit = session.scalar(select(User.unit).where(User.pseudonym == user))
            drawn = self.rng.sample(pool, min(self.settings.questions_per_attempt, len(pool)))
            attempt = QuizAttempt(
                user=user,
                channel=channel,
                unit=unit,
                topic=topic,
                question_ids=[q.id for q in drawn],
                option_orders=[self.rng.sample(range(len(q.options)), len(q.options)) for q in drawn],
                current_index=0,
                score=0,
                total=len(drawn),
                status="open",
                started_at=now,
                updated_at=now,
            )
            session.add(attempt)
            session.flush()  # the unique index refuses a second open attempt here
            # In the same transaction: an attempt is never stored without its evidence.
            self.evidence.append(
                "quiz_started",
                user,
                channel,
                unit,
                {"attempt_id": attempt.id, "topic": topic, "total": attempt.total},
                session=session,
            )
            return self._view(attempt)

    def abandon(self, user: str, attempt_id: int | None = None) -> None:
        """Mark the user's open attempt (if any; only attempt ``attempt_id`` when given) abandoned."""
        now = self.clock()
        query = update(QuizAttempt).where(QuizAttempt.user == user, QuizAttempt.status == "open")
        if attempt_id is not None:
            query = query.where(QuizAttempt.id == attempt_id)
        with self.db.session() as session:
            session.execute(query.values(status="abandoned", updated_at=now))

    def current(self, user: str) -> dict | None:
        """The open attempt's current question, or None when no attempt is open."""
        with self.db.session() as session:
            attempt = self._open_attempt(session, user, self.clock())
            return self._view(attempt) if attempt else None

    def answer(self, user: str, attempt_id: int, option: int, position: int | None = None) -> dict:
        """Record the answer (``option`` as shown, 0-based) to the current question and return feedback.

        ``position`` (0-based), when given, must be the current question's: a tap on an
        old message's button then raises StaleAnswer instead of answering the wrong question.
        """
        now = self.clock()
        with self.db.session() as session:
            attempt = self._open_attempt(session, user, now)
            if attempt is None or attempt.id != attempt_id:
                raise AttemptClosed(str(attempt_id))
            index = attempt.current_index
            if position is not None and position != index:
                raise StaleAnswer(str(position))
            question = self.bank.questions[attempt.question_ids[index]]
            order = attempt.option_orders[index]
            if not 0 <= option < len(order):
                raise InvalidOption(len(order))
            correct = order[option] == question.correct_index
            session.add(
                QuizAnswer(
                    attempt_id=attempt.id,
                    question_id=question.id,
                    topic=question.topic,
                    position=index,
                    chosen_option=order[option],
                    correct=correct,
                    answered_at=now,
                )
            )
            attempt.current_index = index + 1
            attempt.score += int(correct)
            attempt.updated_at = now
            done = attempt.current_index >= attempt.total
            if done:
                attempt.status = "completed"
                attempt.completed_at = now
            try:
                session.flush()
            except IntegrityError as exc:
                # A concurrent request (double tap) answered this question first.
                raise StaleAnswer(str(attempt_id)) from exc
            next_view = None if done else self._view(attempt)
            result = self._result(attempt) if done else None
            self._log_answer(session, attempt, question.id, index, correct, result)
        return {
            "correct": correct,
            "correct_option": order.index(question.correct_index),
            "correct_text": question.options[question.correct_index],
            "explanation": question.explanation,
            "citation": {"lesson": question.lesson, "title": question.lesson_title, "section": question.section},
            "next": next_view,
            "result": result,
        }

    def _log_answer(
        self, session, attempt: QuizAttempt, question_id: str, index: int, correct: bool, result: dict | None
    ) -> None:
        """Log the answer (and the completion) in the answer's own transaction: both or neither are stored."""
        self.evidence.append(
            "quiz_answered",
            attempt.user,
            attempt.channel,
            attempt.unit,
            {"attempt_id": attempt.id, "question_id": question_id, "position": index, "correct": correct},
            session=session,
        )
        if result is not None:
            self.evidence.append(
                "quiz_completed",
                attempt.user,
                attempt.channel,
                attempt.unit,
                {
                    "attempt_id": attempt.id,
                    "topic": result["topic"],
                    "score": result["score"],
                    "total": result["total"],
                    "passed": result["passed"],
                },
                session=session,
            )

    def result(self, attempt_id: int) -> dict:
        """Score and outcome of an attempt; raise AttemptClosed for an unknown id."""
        with self.db.session() as session:
            attempt = session.get(QuizAttempt, attempt_id)
            if attempt is None:
                raise AttemptClosed(str(attempt_id))
            return self._result(attempt)

    def history(self, user: str, limit: int = 5) -> list[dict]:
        """The user's most recent completed attempts, newest first."""
        with self.db.session() as session:
            attempts = session.scalars(
                select(QuizAttempt)
                .where(QuizAttempt.user == user, QuizAttempt.status == "completed")
                .order_by(QuizAttempt.completed_at.desc(), QuizAttempt.id.desc())
                .limit(limit)
            )
            return [self._result(a) for a in attempts]

    def _open_attempt(self, session, user: str, now: datetime) -> QuizAttempt | None:
        """The user's open attempt; one left idle too long is marked expired instead (writes only then)."""
        attempt = session.scalar(
            select(QuizAttempt)
            .where(QuizAttempt.user == user, QuizAttempt.status == "open")
            .order_by(QuizAttempt.id.desc())
            .limit(1)
        )
        if attempt is not None and attempt.updated_at < now - timedelta(minutes=self.settings.expire_minutes):
            attempt.status = "expired"
            attempt.updated_at = now
            return None
        if attempt is not None and not self._still_in_bank(attempt):
            # The bank was edited under an open attempt: it cannot be resumed faithfully.
            attempt.status = "abandoned"
            attempt.updated_at = now
            return None
        return attempt

    def _still_in_bank(self, attempt: QuizAttempt) -> bool:
        """True when every question of the attempt still exists with the same number of options."""
        for question_id, order in zip(attempt.question_ids, attempt.option_orders, strict=True):
            question = self.bank.questions.get(question_id)
            if question is None or len(question.options) != len(order):
                return False
        return True

    def _view(self, attempt: QuizAttempt) -> dict:
        """The current question of an open attempt, options in the order shown."""
        index = attempt.current_index
        question: Question = self.bank.questions[attempt.question_ids[index]]
        return {
            "attempt_id": attempt.id,
            "index": index,
            "total": attempt.total,
            "question_id": question.id,
            "question": question.question,
            "options": [question.options[i] for i in attempt.option_orders[index]],
            "topic": question.topic,
            "topic_name": self.bank.topics[question.topic].name,
        }

    def _result(self, attempt: QuizAttempt) -> dict:
        """Score and outcome of ``attempt``."""
        completed = attempt.status == "completed"
        topic = self.bank.topics.get(attempt.topic) if attempt.topic else None
        return {
            "attempt_id": attempt.id,
            "topic": attempt.topic,
            "topic_name": topic.name if topic else None,
            "score": attempt.score,
            "total": attempt.total,
            "ratio": attempt.score / attempt.total if attempt.total else 0.0,
            "passed": completed and attempt.score >= pass_needed(attempt.total, self.settings.pass_ratio),
            "completed": completed,
            "status": attempt.status,
            "started_at": attempt.started_at,
            "completed_at": attempt.completed_at,
        }
