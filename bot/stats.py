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

Units: records keep the unit as stored (the listed name, or what the user typed when it
is not in ``units.yaml``). The filter's ``units`` directory groups them: a unit filter
and ``by_unit`` use :meth:`bot.units.UnitDirectory.key`, so "phuong vinh phu" typed
before the unit was listed counts for "Phường Vĩnh Phú". ``by_unit`` rows say whether
the unit is ``listed`` (None without a list); ``unlisted_units`` names the others with
their users, for the trainer to add or correct.

Difficulty from data, once a question has at least ``MIN_ANSWERS_FOR_FLAGS`` answers:
its observed band is ``easy`` when facility >= 0.80, ``hard`` when facility < 0.50,
``medium`` in between (for 4-option items a blind guess scores 0.25, and an item most
learners get right after reading the lesson is "easy"). A question is flagged
``label_mismatch`` when its label in the quiz bank differs from the observed band, and
``negative_discrimination`` when its discrimination index is below 0 (weaker learners
answer it better than stronger ones: often a mis-keyed or ambiguous item).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.localdays import local_day, utc_range
from bot.units import UnitDirectory
from hocvuso.db.models import EvidenceEvent, QuizAnswer, QuizAttempt, User
from hocvuso.settings import DEFAULT_TIMEZONE
from knowledge.textnorm import nfc

PASS_RATIO = 0.8
DISCRIMINATION_GROUP_SHARE = 0.27
MIN_ANSWERS_FOR_FLAGS = 20
# Vietnamese names of the difficulty labels and the flags, for the CLI and the dashboard.
DIFFICULTY_NAMES = {"easy": "dễ", "medium": "vừa", "hard": "khó"}
FLAG_NAMES = {"label_mismatch": "nhãn độ khó khác thực tế", "negative_discrimination": "độ phân biệt âm"}
EASY_FROM = 0.80  # facility at or above: observed "easy"
HARD_BELOW = 0.50  # facility below: observed "hard"


@dataclass
class StatsFilter:
    """Which records the statistics cover; every field is optional.

    ``timezone`` (IANA name) says which calendar days the dates and the daily series mean;
    ``units`` is the deployment's unit list, used to match and group units (an empty
    list still groups spellings that differ only in case, diacritics or short forms).
    """

    date_from: date | None = None
    date_to: date | None = None
    unit: str | None = None
    topic: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    units: UnitDirectory = field(default_factory=UnitDirectory, repr=False, compare=False)

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
    """The overview figures per unit (None = no unit registered), most attempts first.

    Spellings of one unit are grouped (see the module docstring); each row names the
    unit as listed, or by its most used spelling, and says whether it is ``listed``.
    """
    directory = f.units
    groups: dict[str | None, list] = defaultdict(list)
    for attempt in _attempts(db, f):
        groups[directory.key(attempt.unit)].append(attempt)
    rows = []
    for key, members in groups.items():
        name = _display_unit(directory, [attempt.unit for attempt in members]) if key is not None else None
        listed = directory.resolve(name).listed if name is not None and directory.enabled else None
        rows.append({"unit": name, "listed": listed, **_summarise(members, pass_ratio)})
    rows.sort(key=lambda row: (-row["attempts"], row["unit"] is None, row["unit"] or ""))
    return rows


def unlisted_units(db, f: StatsFilter) -> list[dict]:
    """Units users registered that are not in the unit list, with their spellings and users.

    Empty when the deployment has no list. Covers the users' current units, whatever
    the filter's dates (a registration is not dated by it).
    """
    directory = f.units
    if not directory.enabled:
        return []
    with db.session() as session:
        counts = session.execute(
            select(User.unit, func.count()).where(User.unit.is_not(None)).group_by(User.unit)
        ).all()
    groups: dict[str, Counter] = defaultdict(Counter)
    for unit, users in counts:
        if not directory.resolve(unit).listed:
            groups[directory.key(unit)][unit] += users
    rows = [
        {"unit": _display_unit(directory, list(spellings.elements())), "spellings": sorted(spellings),
         "users": sum(spellings.values())}
        for spellings in groups.values()
    ]
    rows.sort(key=lambda row: (-row["users"], row["unit"]))
    return rows


def by_topic(db, f: StatsFilter, pass_ratio: float = PASS_RATIO) -> list[dict]:
    """The overview figures per quiz topic (None = mixed), most attempts first."""
    return _grouped(_attempts(db, f), "topic", pass_ratio)


def per_question(
    db,
    f: StatsFilter,
    questions: Mapping[str, str] | None = None,
    difficulties: Mapping[str, str] | None = None,
) -> list[dict]:
    """Answers, facility, discrimination index and flags of each question, by question id.

    ``questions`` maps question ids to their text and ``difficulties`` to their label
    (easy/medium/hard), e.g. from the quiz bank; without them those fields are None
    and no ``label_mismatch`` is flagged.
    """
    by_question: dict[str, list] = defaultdict(list)
    for answer in _answers(db, f):
        by_question[answer.question_id].append(answer)
    rows = []
    for question_id in sorted(by_question):
        answers = by_question[question_id]
        correct = sum(1 for answer in answers if answer.correct)
        row = {
            "question_id": question_id,
            "topic": answers[0].topic,
            "question": (questions or {}).get(question_id),
            "answers": len(answers),
            "correct": correct,
            "facility": correct / len(answers),
            "discrimination": discrimination_index(answers),
            "difficulty": (difficulties or {}).get(question_id),
        }
        row["observed"], row["flags"] = _difficulty_flags(row)
        rows.append(row)
    return rows


def flagged_questions(rows: list[dict]) -> list[dict]:
    """The rows of :func:`per_question` with at least one flag, by question id."""
    return [row for row in rows if row["flags"]]


def observed_band(facility: float) -> str:
    """The difficulty band a facility falls in (see the module docstring)."""
    if facility >= EASY_FROM:
        return "easy"
    return "hard" if facility < HARD_BELOW else "medium"


def _difficulty_flags(row: dict) -> tuple[str | None, list[str]]:
    """The observed band (None with too few answers) and the flags of a per-question row."""
    if row["answers"] < MIN_ANSWERS_FOR_FLAGS:
        return None, []
    observed = observed_band(row["facility"])
    flags = []
    if row["difficulty"] and row["difficulty"] != observed:
        flags.append("label_mismatch")
    if row["discrimination"] is not None and row["discrimination"] < 0:
        flags.append("negative_discrimination")
    return observed, flags


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
    difficulties: Mapping[str, str] | None = None,
) -> dict:
    """Every statistic at once, JSON-ready (the ``hocvuso stats --json`` document)."""
    rows = per_question(db, f, questions, difficulties)
    return {
        "filter": {
            key: _jsonable(getattr(f, key)) for key in ("date_from", "date_to", "unit", "topic", "timezone")
        },
        "pass_ratio": pass_ratio,
        "overview": overview(db, f, pass_ratio),
        "by_unit": by_unit(db, f, pass_ratio),
        "unlisted_units": unlisted_units(db, f),
        "by_topic": by_topic(db, f, pass_ratio),
        "most_missed": most_missed(db, f, missed_limit, questions),
        "per_question": rows,
        "flagged_questions": flagged_questions(rows),
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
        query = query.where(QuizAttempt.unit.in_(unit_spellings(db, f)))
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
        query = query.where(QuizAttempt.unit.in_(unit_spellings(db, f)))
    if f.topic:
        query = query.where(QuizAnswer.topic == f.topic)
    with db.session() as session:
        return session.execute(query).all()


def _events(db, f: StatsFilter) -> list:
    """Rows (time, user, type) of the evidence events within the filter's dates and unit."""
    query = select(EvidenceEvent.created_at, EvidenceEvent.user, EvidenceEvent.event_type)
    query = _within(query, EvidenceEvent.created_at, f)
    if f.unit:
        query = query.where(EvidenceEvent.unit.in_(unit_spellings(db, f)))
    with db.session() as session:
        return session.execute(query).all()


def unit_spellings(db, f: StatsFilter) -> list[str]:
    """Every stored spelling of the filter's unit (its listed name and the typed variants).

    Exports filter on these, so a unit's export holds what its users typed before it was listed.
    """
    wanted = f.units.key(nfc(f.unit).strip())
    with db.session() as session:
        stored = set(session.scalars(select(QuizAttempt.unit).distinct()))
        stored |= set(session.scalars(select(EvidenceEvent.unit).distinct()))
    spellings = [unit for unit in stored if unit is not None and f.units.key(unit) == wanted]
    return spellings or [nfc(f.unit).strip()]


def _display_unit(directory: UnitDirectory, spellings: list[str]) -> str:
    """The name of a group of unit spellings: the listed name, else the most used (then fullest) spelling."""
    match = directory.resolve(spellings[0])
    if match.listed:
        return match.name
    counts = Counter(spellings)
    return min(counts, key=lambda unit: (-counts[unit], -len(unit), unit))


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
