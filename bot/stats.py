"""Statistics for trainers, computed from quiz attempts, answers and evidence events.

Definitions (times are stored in UTC; dates are calendar days in the filter's ``timezone``,
by default Vietnam's, so an event at 18:30 UTC on 20/11 counts on 21/11):

- The filter selects **attempts** started on ``date_from``..``date_to`` (inclusive), whose
  unit (the snapshot taken at start) equals ``unit`` and whose topic equals ``topic``
  (mixed-topic attempts have no topic, so a topic filter leaves them out).
  **Answers** are those of attempts matching the dates and unit; the topic filter applies
  to the answer's own question topic, so questions of a topic answered in mixed quizzes count.
  **Events** match the dates and unit; the topic filter does not apply to them.
- ``participants``: distinct pseudonymous users with at least one selected attempt.
- ``completion_rate``: completed attempts / attempts.
- ``mean_score``: mean of score/total over completed attempts (0..1).
- ``pass_rate``: share of completed attempts with score/total >= ``pass_ratio`` (0.8).
- ``facility`` of a question: correct answers / answers (answers of any attempt status).
- ``discrimination`` of a question (Kelley's upper-lower index): take the completed
  attempts that answered it, rank them by score/total (highest first, ties by attempt
  id), let g = floor(0.27 * n + 0.5); the upper group is the first g, the lower group the
  last g; the index is (share correct in the upper group) - (share correct in the lower
  group). None when g == 0 (fewer than two such attempts).
- ``most_missed``: questions with at least one wrong answer, by miss rate (1 - facility)
  descending, then by wrong answers descending, then by id.
- Rates and means are None when their denominator is zero.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.localdays import local_day, utc_range
from hocvuso.db.models import EvidenceEvent, QuizAnswer, QuizAttempt
from hocvuso.settings import DEFAULT_TIMEZONE
from knowledge.textnorm import nfc

PASS_RATIO = 0.8
DISCRIMINATION_GROUP_SHARE = 0.27


@dataclass
class StatsFilter:
    """Which records the statistics cover; every field is optional.

    ``timezone`` (IANA name) says which calendar days the dates and the daily series mean.
    """

    date_from: date | None = None
    date_to: date | None = None
    unit: str | None = None
    topic: str | None = None
    timezone: str = DEFAULT_TIMEZONE

    @property
    def zone(self) -> ZoneInfo:
        """The filter's time zone."""
        return ZoneInfo(self.timezone)


def overview(db, f: StatsFilter, pass_ratio: float = PASS_RATIO) -> dict:
    """Participants, attempts, completion, mean score and pass rate, plus questions asked."""
    summary = _summarise(_attempts(db, f), pass_ratio)
    asked = [event for event in _events(db, f) if event.event_type == "question_asked"]
    summary["questions_asked"] = len(asked)
    return summary


def by_unit(db, f: StatsFilter, pass_ratio: float = PASS_RATIO) -> list[dict]:
    """The overview figures per unit (None = no unit registered), most attempts first."""
    return _grouped(_attempts(db, f), "unit", pass_ratio)


def by_topic(db, f: StatsFilter, pass_ratio: float = PASS_RATIO) -> list[dict]:
    """The overview figures per quiz topic (None = mixed), most attempts first."""
    return _grouped(_attempts(db, f), "topic", pass_ratio)


def per_question(db, f: StatsFilter, questions: Mapping[str, str] | None = None) -> list[dict]:
    """Answers, facility and discrimination index of each question, by question id.

    ``questions`` maps question ids to their text (e.g. from the quiz bank); without it
    the ``question`` field is None.
    """
    by_question: dict[str, list] = defaultdict(list)
    for answer in _answers(db, f):
        by_question[answer.question_id].append(answer)
    rows = []
    for question_id in sorted(by_question):
        answers = by_question[question_id]
        correct = sum(1 for answer in answers if answer.correct)
        rows.append(
            {
                "question_id": question_id,
                "topic": answers[0].topic,
                "question": (questions or {}).get(question_id),
                "answers": len(answers),
                "correct": correct,
                "facility": correct / len(answers),
                "discrimination": discrimination_index(answers),
            }
        )
    return rows


def most_missed(db, f: StatsFilter, limit: int = 10, questions: Mapping[str, str] | None = None) -> list[dict]:
    """The questions most often answered wrongly (by miss rate, then wrong answers)."""
    rows = [
        {**row, "wrong": row["answers"] - row["correct"]}
        for row in per_question(db, f, questions)
        if row["correct"] < row["answers"]
    ]
    rows.sort(key=lambda row: (row["facility"], -row["wrong"], row["question_id"]))
    return rows[:limit]


def daily(db, f: StatsFilter) -> list[dict]:
    """Per local day (``f.timezone``): quiz participants and attempts started, questions asked, active users.

    Days run from ``date_from`` (or the first active day) to ``date_to`` (or the last),
    with zeros on quiet days.
    """
    # Grouped here rather than in SQL: local dates of UTC times need zone rules, which
    # SQLite lacks, and the rows of a period are already fetched for the counts anyway.
    zone = f.zone
    attempts_by_day: dict[date, list] = defaultdict(list)
    for attempt in _attempts(db, f):
        attempts_by_day[local_day(attempt.started_at, zone)].append(attempt)
    asked: Counter[date] = Counter()
    active: dict[date, set[str]] = defaultdict(set)
    for event in _events(db, f):
        day = local_day(event.created_at, zone)
        active[day].add(event.user)
        if event.event_type == "question_asked":
            asked[day] += 1
    seen = attempts_by_day.keys() | active.keys()
    first = f.date_from or min(seen, default=None)
    last = f.date_to or max(seen, default=None)
    if first is None or last is None:
        return []
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return [
        {
            "date": day.isoformat(),
            "participants": len({attempt.user for attempt in attempts_by_day[day]}),
            "attempts": len(attempts_by_day[day]),
            "questions_asked": asked[day],
            "active_users": len(active[day]),
        }
        for day in days
    ]


def score_distribution(db, f: StatsFilter) -> list[dict]:
    """How many completed attempts reached each score, from 0 to the largest total."""
    completed = [attempt for attempt in _attempts(db, f) if attempt.status == "completed"]
    if not completed:
        return []
    counts = Counter(attempt.score for attempt in completed)
    top = max(attempt.total for attempt in completed)
    return [{"score": score, "attempts": counts[score]} for score in range(top + 1)]


def report(
    db,
    f: StatsFilter,
    questions: Mapping[str, str] | None = None,
    pass_ratio: float = PASS_RATIO,
    missed_limit: int = 10,
) -> dict:
    """Every statistic at once, JSON-ready (the ``hocvuso stats --json`` document)."""
    return {
        "filter": {key: _jsonable(value) for key, value in asdict(f).items()},
        "pass_ratio": pass_ratio,
        "overview": overview(db, f, pass_ratio),
        "by_unit": by_unit(db, f, pass_ratio),
        "by_topic": by_topic(db, f, pass_ratio),
        "most_missed": most_missed(db, f, missed_limit, questions),
        "per_question": per_question(db, f, questions),
        "score_distribution": score_distribution(db, f),
        "daily": daily(db, f),
    }


def discrimination_index(answers: Iterable) -> float | None:
    """Upper-minus-lower 27% index over the completed attempts among ``answers`` (see module doc)."""
    ranked = sorted(
        (answer for answer in answers if answer.status == "completed" and answer.total),
        key=lambda answer: (-answer.score / answer.total, answer.attempt_id),
    )
    group = math.floor(DISCRIMINATION_GROUP_SHARE * len(ranked) + 0.5)
    if group == 0:
        return None
    upper, lower = ranked[:group], ranked[-group:]
    return _share_correct(upper) - _share_correct(lower)


def _share_correct(answers: list) -> float:
    return sum(1 for answer in answers if answer.correct) / len(answers)


def _summarise(attempts: list, pass_ratio: float) -> dict:
    """The overview figures of a list of attempt rows."""
    completed = [attempt for attempt in attempts if attempt.status == "completed" and attempt.total]
    ratios = [attempt.score / attempt.total for attempt in completed]
    passed = sum(1 for ratio in ratios if ratio >= pass_ratio)
    return {
        "participants": len({attempt.user for attempt in attempts}),
        "attempts": len(attempts),
        "completed": len(completed),
        "passed": passed,
        "completion_rate": len(completed) / len(attempts) if attempts else None,
        "mean_score": sum(ratios) / len(ratios) if ratios else None,
        "pass_rate": passed / len(ratios) if ratios else None,
    }


def _grouped(attempts: list, key: str, pass_ratio: float) -> list[dict]:
    """Summaries per value of ``key`` (unit or topic), most attempts first."""
    groups: dict[str | None, list] = defaultdict(list)
    for attempt in attempts:
        groups[getattr(attempt, key)].append(attempt)
    rows = [{key: value, **_summarise(members, pass_ratio)} for value, members in groups.items()]
    rows.sort(key=lambda row: (-row["attempts"], row[key] is None, row[key] or ""))
    return rows


def _attempts(db, f: StatsFilter) -> list:
    """Rows of the attempts selected by the filter."""
    query = select(
        QuizAttempt.id,
        QuizAttempt.user,
        QuizAttempt.unit,
        QuizAttempt.topic,
        QuizAttempt.score,
        QuizAttempt.total,
        QuizAttempt.status,
        QuizAttempt.started_at,
    )
    query = _within(query, QuizAttempt.started_at, f)
    if f.unit:
        query = query.where(QuizAttempt.unit == nfc(f.unit).strip())
    if f.topic:
        query = query.where(QuizAttempt.topic == f.topic)
    with db.session() as session:
        return session.execute(query).all()


def _answers(db, f: StatsFilter) -> list:
    """Rows of the answers selected by the filter, with their attempt's status and score."""
    query = select(
        QuizAnswer.question_id,
        QuizAnswer.topic,
        QuizAnswer.correct,
        QuizAnswer.attempt_id,
        QuizAttempt.status,
        QuizAttempt.score,
        QuizAttempt.total,
    ).join(QuizAttempt, QuizAnswer.attempt_id == QuizAttempt.id)
    query = _within(query, QuizAttempt.started_at, f)
    if f.unit:
        query = query.where(QuizAttempt.unit == nfc(f.unit).strip())
    if f.topic:
        query = query.where(QuizAnswer.topic == f.topic)
    with db.session() as session:
        return session.execute(query).all()


def _events(db, f: StatsFilter) -> list:
    """Rows (time, user, type) of the evidence events within the filter's dates and unit."""
    query = select(EvidenceEvent.created_at, EvidenceEvent.user, EvidenceEvent.event_type)
    query = _within(query, EvidenceEvent.created_at, f)
    if f.unit:
        query = query.where(EvidenceEvent.unit == nfc(f.unit).strip())
    with db.session() as session:
        return session.execute(query).all()


def _within(query, column, f: StatsFilter):
    """Restrict ``column`` to the filter's local days ``date_from``..``date_to`` (inclusive)."""
    start, end = utc_range(f.date_from, f.date_to, f.zone)
    if start:
        query = query.where(column >= start)
    if end:
        query = query.where(column < end)
    return query


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value
