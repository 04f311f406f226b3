"""Trainer statistics against values computed independently from the seeded records.

Dates are calendar days in Vietnam (UTC+7, the default zone); records are stored in UTC.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.stats import (
    StatsFilter,
    by_topic,
    by_unit,
    daily,
    discrimination_index,
    most_missed,
    observed_band,
    overview,
    per_question,
    report,
    score_distribution,
    unit_spellings,
    unlisted_units,
)
from bot.evidence import EvidenceLog
from bot.units import UnitDirectory, load_units
from hocvuso.cli import main
from hocvuso.db.models import EvidenceEvent, QuizAnswer, QuizAttempt, User

TOPICS = ["vneid", "lua-dao"]
QUESTIONS = [f"{topic}-{n:02d}" for topic in TOPICS for n in range(1, 7)]
UNITS = ["Xã An Phú", "Phường Bến Nghé", None]
DAY0 = datetime(2025, 3, 1, tzinfo=UTC)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnam_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def seed(database, users: int = 60, rng_seed: int = 7) -> tuple[list[dict], list[dict], list[dict]]:
    """Store random attempts, answers and events; return them as plain dicts for the expectations."""
    rng = random.Random(rng_seed)
    attempts, answers, events = [], [], []
    for number in range(users):
        user, unit, ability = f"{number:064x}", rng.choice(UNITS), rng.random()
        for _ in range(rng.randint(1, 3)):
            topic = rng.choice([*TOPICS, None])
            pool = [q for q in QUESTIONS if topic is None or q.startswith(topic)]
            drawn = rng.sample(pool, 5)
            status = rng.choices(["completed", "open", "abandoned", "expired"], [8, 1, 1, 1])[0]
            if status == "open" and any(a["user"] == user and a["status"] == "open" for a in attempts):
                status = "abandoned"  # the database keeps one open attempt per user
            answered = drawn if status == "completed" else drawn[: rng.randint(0, 4)]
            marks = [rng.random() < 0.25 + 0.7 * ability - 0.05 * int(q[-1]) for q in answered]
            started = DAY0 + timedelta(days=rng.choice([0, 1, 3]), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
            attempts.append(
                {
                    "user": user,
                    "unit": unit,
                    "topic": topic,
                    "status": status,
                    "started_at": started,
                    "score": sum(marks),
                    "total": 5,
                    "questions": drawn,
                }
            )
            answers.append(
                [
                    {"question_id": q, "topic": q.rsplit("-", 1)[0], "correct": c}
                    for q, c in zip(answered, marks, strict=True)
                ]
            )
        for _ in range(rng.randint(0, 3)):
            events.append(
                {
                    "user": user,
                    "unit": unit,
                    "event_type": "question_asked",
                    "created_at": DAY0 + timedelta(days=rng.choice([0, 1, 2]), hours=rng.randint(0, 23)),
                }
            )
    with database.session() as session:
        for attempt, attempt_answers in zip(attempts, answers, strict=True):
            row = QuizAttempt(
                user=attempt["user"],
                channel="web",
                unit=attempt["unit"],
                topic=attempt["topic"],
                question_ids=attempt["questions"],
                option_orders=[[0, 1, 2, 3]] * 5,
                current_index=len(attempt_answers),
                score=attempt["score"],
                total=5,
                status=attempt["status"],
                started_at=attempt["started_at"],
            )
            row.answers = [QuizAnswer(position=i, chosen_option=0, **a) for i, a in enumerate(attempt_answers)]
            session.add(row)
            attempt["row"] = row
            for answer in attempt_answers:
                answer["attempt"] = attempt
        for number, event in enumerate(events, start=1):
            session.add(EvidenceEvent(id=number, channel="web", data="{}", prev_hash="", hash="", **event))
        session.flush()  # one batched insert per table; assigns the attempt ids
        for attempt in attempts:
            attempt["id"] = attempt.pop("row").id
    flat_answers = [answer for attempt_answers in answers for answer in attempt_answers]
    return attempts, flat_answers, events


@pytest.fixture
def seeded(database):
    attempts, answers, events = seed(database)
    return database, attempts, answers, events


def expected_summary(attempts: list[dict]) -> dict:
    completed = [a for a in attempts if a["status"] == "completed"]
    percents = [100 * a["score"] // a["total"] for a in completed]  # integer percents: exact for totals of 5
    return {
        "participants": len({a["user"] for a in attempts}),
        "attempts": len(attempts),
        "completed": len(completed),
        "passed": sum(p >= 80 for p in percents),
        "completion_rate": len(completed) / len(attempts) if attempts else None,
        "mean_score": sum(percents) / 100 / len(percents) if percents else None,
        "pass_rate": sum(p >= 80 for p in percents) / len(percents) if percents else None,
    }


def assert_close(actual: dict, expected: dict) -> None:
    assert actual.keys() >= expected.keys()
    for key, value in expected.items():
        assert actual[key] == (pytest.approx(value) if isinstance(value, float) else value), key


def test_overview_matches_the_seeded_records(seeded):
    database, attempts, _, events = seeded
    result = overview(database, StatsFilter())
    assert_close(result, expected_summary(attempts))
    assert result["questions_asked"] == len(events)
    assert 0 < result["pass_rate"] < 1 and 0 < result["completion_rate"] < 1


@pytest.mark.parametrize(
    "f",
    [
        StatsFilter(unit="Xã An Phú"),
        StatsFilter(topic="vneid"),
        StatsFilter(date_from=date(2025, 3, 2), date_to=date(2025, 3, 4)),
        StatsFilter(date_to=date(2025, 3, 1), unit="Phường Bến Nghé", topic="lua-dao"),
    ],
)
def test_overview_filters(seeded, f):
    database, attempts, _, events = seeded

    def selected(record_time: datetime, unit) -> bool:
        day = vietnam_day(record_time)
        return (
            (f.date_from is None or day >= f.date_from)
            and (f.date_to is None or day <= f.date_to)
            and (f.unit is None or unit == f.unit)
        )

    chosen = [a for a in attempts if selected(a["started_at"], a["unit"]) and f.topic in (None, a["topic"])]
    result = overview(database, f)
    assert_close(result, expected_summary(chosen))
    assert result["questions_asked"] == sum(selected(e["created_at"], e["unit"]) for e in events)


def test_by_unit_and_by_topic(seeded):
    database, attempts, _, _ = seeded
    for function, key in ((by_unit, "unit"), (by_topic, "topic")):
        rows = function(database, StatsFilter())
        values = {a[key] for a in attempts}
        assert [row[key] for row in rows] == sorted(
            values, key=lambda v: (-sum(a[key] == v for a in attempts), v is None, v or "")
        )
        for row in rows:
            assert_close(row, expected_summary([a for a in attempts if a[key] == row[key]]))


def test_per_question_facility_and_discrimination(seeded):
    database, _, answers, _ = seeded
    texts = {q: f"Câu hỏi {q}?" for q in QUESTIONS}
    rows = {row["question_id"]: row for row in per_question(database, StatsFilter(), texts)}
    assert sorted(rows) == sorted({a["question_id"] for a in answers})
    for question_id, row in rows.items():
        mine = [a for a in answers if a["question_id"] == question_id]
        assert row["question"] == texts[question_id]
        assert row["topic"] == question_id.rsplit("-", 1)[0]
        assert row["answers"] == len(mine)
        assert row["facility"] == pytest.approx(sum(a["correct"] for a in mine) / len(mine))
        # Kelley's index, computed here by sorting the attempts' (score, id) pairs.
        done = sorted(
            (a for a in mine if a["attempt"]["status"] == "completed"),
            key=lambda a: (a["attempt"]["score"], -a["attempt"]["id"]),
            reverse=True,
        )
        group = int(len(done) * 27 / 100 + 0.5)
        upper = sum(a["correct"] for a in done[:group]) / group
        lower = sum(a["correct"] for a in done[len(done) - group :]) / group
        assert row["discrimination"] == pytest.approx(upper - lower)
    # Able users answer more correctly in the seed, so items discriminate on average.
    assert sum(row["discrimination"] for row in rows.values()) / len(rows) > 0.2


def test_per_question_topic_filter_counts_mixed_quizzes(seeded):
    database, _, answers, _ = seeded
    rows = per_question(database, StatsFilter(topic="lua-dao"))
    assert {row["question_id"] for row in rows} == {a["question_id"] for a in answers if a["topic"] == "lua-dao"}
    mixed = [a for a in answers if a["topic"] == "lua-dao" and a["attempt"]["topic"] is None]
    assert mixed and sum(row["answers"] for row in rows) == sum(a["topic"] == "lua-dao" for a in answers)


def test_discrimination_on_a_hand_worked_example():
    # Ten completed attempts; g = round(2.7) = 3. Upper three: ids 1, 2, 3 (ids 2 and 3 tie
    # with id 4 at 4/5, the lower ids rank first); lower three: ids 8, 9, 10.
    scores = [5, 4, 4, 4, 3, 3, 2, 2, 1, 0]
    correct = [1, 1, 0, 1, 1, 0, 1, 0, 0, 1]
    rows = [
        {"attempt_id": i + 1, "status": "completed", "score": s, "total": 5, "correct": bool(c)}
        for i, (s, c) in enumerate(zip(scores, correct, strict=True))
    ]
    rows.append({"attempt_id": 11, "status": "open", "score": 0, "total": 5, "correct": False})
    answers = [type("Row", (), row) for row in rows]
    assert discrimination_index(answers) == pytest.approx(2 / 3 - 1 / 3)
    assert discrimination_index(answers[:1]) is None


def test_most_missed_orders_by_miss_rate(seeded):
    database, _, answers, _ = seeded
    missed = most_missed(database, StatsFilter(), limit=5)
    assert len(missed) == 5
    rates = Counter(a["question_id"] for a in answers if not a["correct"])
    totals = Counter(a["question_id"] for a in answers)
    expected = sorted(rates, key=lambda q: (-rates[q] / totals[q], -rates[q], q))[:5]
    assert [row["question_id"] for row in missed] == expected
    assert all(row["wrong"] == rates[row["question_id"]] for row in missed)


def test_daily_series_fills_quiet_days(seeded):
    database, attempts, _, events = seeded
    f = StatsFilter(date_from=date(2025, 2, 28), date_to=date(2025, 3, 6))
    rows = daily(database, f)
    assert [row["date"] for row in rows] == [(date(2025, 2, 28) + timedelta(days=n)).isoformat() for n in range(7)]
    for row in rows:
        day = date.fromisoformat(row["date"])
        started = [a for a in attempts if vietnam_day(a["started_at"]) == day]
        happened = [e for e in events if vietnam_day(e["created_at"]) == day]
        assert row["attempts"] == len(started)
        assert row["participants"] == len({a["user"] for a in started})
        assert row["questions_asked"] == len(happened)
        assert row["active_users"] == len({e["user"] for e in happened})
    assert rows[0]["attempts"] == 0 and rows[-1]["attempts"] == 0
    assert daily(database, StatsFilter())[0]["date"] == "2025-03-01"


def test_an_evening_in_utc_counts_on_the_next_day_in_vietnam(database):
    evening = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 01:30 on 21/11 in Vietnam
    user = "c3" * 32
    with database.session() as session:
        session.add(
            QuizAttempt(
                user=user,
                channel="telegram",
                unit="Xã Nghĩa Trung",
                topic="vneid",
                question_ids=["vneid-01"],
                option_orders=[[0, 1, 2, 3]],
                current_index=0,
                score=0,
                total=1,
                status="open",
                started_at=evening,
            )
        )
        session.add(
            EvidenceEvent(
                id=1,
                created_at=evening,
                event_type="question_asked",
                user=user,
                channel="telegram",
                data="{}",
                prev_hash="",
                hash="",
            )
        )
    day = {"participants": 1, "attempts": 1, "questions_asked": 1, "active_users": 1}
    assert daily(database, StatsFilter()) == [{"date": "2026-11-21", **day}]

    def counted(on: date, timezone: str = "Asia/Ho_Chi_Minh") -> tuple[int, int]:
        result = overview(database, StatsFilter(date_from=on, date_to=on, timezone=timezone))
        return result["attempts"], result["questions_asked"]

    assert counted(date(2026, 11, 21)) == (1, 1)
    assert counted(date(2026, 11, 20)) == (0, 0)
    # The zone is a setting: counted in UTC, the same records fall on 20/11.
    assert counted(date(2026, 11, 20), "UTC") == (1, 1)
    assert daily(database, StatsFilter(timezone="UTC"))[0]["date"] == "2026-11-20"
    across = daily(database, StatsFilter(date_from=date(2026, 11, 20), date_to=date(2026, 11, 21)))
    assert [(row["date"], row["attempts"]) for row in across] == [("2026-11-20", 0), ("2026-11-21", 1)]


def test_score_distribution(seeded):
    database, attempts, _, _ = seeded
    counts = Counter(a["score"] for a in attempts if a["status"] == "completed")
    assert score_distribution(database, StatsFilter()) == [{"score": s, "attempts": counts[s]} for s in range(6)]


def test_empty_database_gives_empty_statistics(database):
    f = StatsFilter()
    assert overview(database, f) == {
        "participants": 0,
        "attempts": 0,
        "completed": 0,
        "passed": 0,
        "completion_rate": None,
        "mean_score": None,
        "pass_rate": None,
        "questions_asked": 0,
    }
    assert by_unit(database, f) == by_topic(database, f) == per_question(database, f) == []
    assert daily(database, f) == score_distribution(database, f) == most_missed(database, f) == []


def test_cli_stats_json_equals_the_library_report(seeded, database_url, tmp_path):
    database, _, _, _ = seeded
    env = {"HOCVUSO_DATABASE_URL": database_url, "HOCVUSO_KNOWLEDGE_DIR": str(tmp_path / "none")}
    args = ["stats", "--json", "--from", "2025-03-01", "--to", "2025-03-02", "--unit", "Xã An Phú"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    f = StatsFilter(date(2025, 3, 1), date(2025, 3, 2), "Xã An Phú")
    assert json.loads(result.stdout) == json.loads(json.dumps(report(database, f)))


def test_cli_stats_days_follow_the_timezone_setting(seeded, database_url, tmp_path):
    database, attempts, _, _ = seeded
    args = ["stats", "--json", "--from", "2025-03-04", "--to", "2025-03-04"]
    by_zone = {}
    for timezone, zone in (("Asia/Ho_Chi_Minh", VIETNAM), ("UTC", UTC)):
        env = {
            "HOCVUSO_DATABASE_URL": database_url,
            "HOCVUSO_KNOWLEDGE_DIR": str(tmp_path / "none"),
            "HOCVUSO_TIMEZONE": timezone,
        }
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert document["filter"]["timezone"] == timezone
        expected = sum(a["started_at"].astimezone(zone).date() == date(2025, 3, 4) for a in attempts)
        by_zone[timezone] = document["overview"]["attempts"]
        assert by_zone[timezone] == expected
    assert by_zone["UTC"] != by_zone["Asia/Ho_Chi_Minh"], "the seed has attempts either side of local midnight"


def test_cli_stats_prints_vietnamese_tables(seeded, database_url, tmp_path):
    env = {"HOCVUSO_DATABASE_URL": database_url, "HOCVUSO_KNOWLEDGE_DIR": str(tmp_path / "none")}
    result = CliRunner().invoke(main, ["stats", "--topic", "vneid"], env=env)
    assert result.exit_code == 0, result.output
    for heading in ("Tổng quan", "Theo đơn vị", "Câu hay trả lời sai nhất", "Tỉ lệ đạt (≥ 80%)", "Phân bố điểm"):
        assert heading in result.stdout
    assert "lua-dao-" not in result.stdout


def test_cli_stats_shows_question_text_from_the_quiz_bank(seeded, database_url, tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "lessons" / "02-vneid.md").write_text(
        "---\nid: 02-vneid\ntitle: VNeID\ntopic: vneid\n---\n# VNeID\n\n## Các bước\nĐăng ký.\n", encoding="utf-8"
    )
    questions = [
        {
            "id": q,
            "question": f"Nội dung câu {q}?",
            "options": ["Có", "Không", "Tùy nơi", "Chưa rõ"],
            "correct": 1,
            "explanation": "Vì vậy.",
            "section": "Các bước",
            "difficulty": "easy",
        }
        for q in QUESTIONS
        if q.startswith("vneid")
    ]
    bank = {"topic": "vneid", "topic_name": "VNeID", "lesson": "02-vneid", "questions": questions}
    (tmp_path / "quizzes" / "02-vneid.yaml").write_text(json.dumps(bank, ensure_ascii=False), encoding="utf-8")
    env = {"HOCVUSO_DATABASE_URL": database_url, "HOCVUSO_KNOWLEDGE_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["stats", "--json", "--topic", "vneid"], env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["per_question"]
    assert rows and all(row["question"] == f"Nội dung câu {row['question_id']}?" for row in rows)


def add_attempt(session, user: str, unit: str | None, marks: dict[str, bool], topic: str = "vneid") -> None:
    """One completed attempt of ``user`` with the given answers (question id -> correct)."""
    row = QuizAttempt(
        user=user, channel="zalo", unit=unit, topic=topic, question_ids=list(marks),
        option_orders=[[0, 1, 2, 3]] * len(marks), current_index=len(marks), score=sum(marks.values()),
        total=len(marks), status="completed", started_at=DAY0,
    )
    row.answers = [
        QuizAnswer(position=i, chosen_option=0, question_id=q, topic=topic, correct=c)
        for i, (q, c) in enumerate(marks.items())
    ]
    session.add(row)


def test_spellings_of_a_unit_are_grouped_under_the_listed_name_and_unlisted_ones_flagged(database):
    units = UnitDirectory(["Phường Vĩnh Phú", "Xã Nghĩa Trung"])
    with database.session() as session:
        for number, unit in enumerate(["Phường Vĩnh Phú", "phuong vinh phu", "P. Vĩnh Phú", "Xã Hưng Lộc",
                                       "xa hung loc", "Xã Hưng Lộc", None]):
            user = f"{number:064x}"
            session.add(User(pseudonym=user, channel="zalo", unit=unit))
            add_attempt(session, user, unit, {"vneid-01": number % 2 == 0})

    rows = by_unit(database, StatsFilter(units=units))

    assert [(r["unit"], r["listed"], r["attempts"]) for r in rows] == [
        ("Phường Vĩnh Phú", True, 3), ("Xã Hưng Lộc", False, 3), (None, None, 1),
    ]
    assert overview(database, StatsFilter(unit="vinh phu", units=units))["attempts"] == 3
    assert overview(database, StatsFilter(unit="xa hung loc", units=units))["attempts"] == 3
    assert unlisted_units(database, StatsFilter(units=units)) == [
        {"unit": "Xã Hưng Lộc", "spellings": ["Xã Hưng Lộc", "xa hung loc"], "users": 3}
    ]
    # Without a list nothing is flagged, and spellings still group.
    plain = by_unit(database, StatsFilter())
    assert [(r["unit"], r["listed"]) for r in plain][:2] == [("Phường Vĩnh Phú", None), ("Xã Hưng Lộc", None)]
    assert unlisted_units(database, StatsFilter()) == []


def test_items_whose_facility_contradicts_their_label_or_that_discriminate_negatively_are_flagged(database):
    # 24 learners: the strongest half gets every item right except "reverse", which only the weak half gets.
    with database.session() as session:
        for number in range(24):
            strong = number < 12
            add_attempt(session, f"{number:064x}", None, {
                "vneid-01": True,  # everyone right: easy
                "vneid-02": strong,  # half right: medium
                "vneid-03": strong and number < 6,  # a quarter right: hard
                "vneid-04": not strong,  # reversed
                "vneid-05": strong or number < 18,
            })
        add_attempt(session, "f" * 64, None, {"vneid-06": False})  # one answer: too few to judge
    labels = {"vneid-01": "hard", "vneid-02": "medium", "vneid-03": "hard", "vneid-04": "medium",
              "vneid-05": "easy", "vneid-06": "easy"}

    rows = {r["question_id"]: r for r in per_question(database, StatsFilter(), difficulties=labels)}

    assert {q: (r["observed"], r["flags"]) for q, r in rows.items()} == {
        "vneid-01": ("easy", ["label_mismatch"]),
        "vneid-02": ("medium", []),
        "vneid-03": ("hard", []),
        "vneid-04": ("medium", ["negative_discrimination"]),
        "vneid-05": ("medium", ["label_mismatch"]),
        "vneid-06": (None, []),
    }
    assert rows["vneid-04"]["discrimination"] < 0 < rows["vneid-02"]["discrimination"]
    flagged = report(database, StatsFilter(), difficulties=labels)["flagged_questions"]
    assert [r["question_id"] for r in flagged] == ["vneid-01", "vneid-04", "vneid-05"]
    assert [observed_band(p) for p in (0.8, 0.79, 0.5, 0.49)] == ["easy", "medium", "medium", "hard"]


def test_cli_stats_prints_flagged_questions_and_unlisted_units(database, database_url, tmp_path):
    (tmp_path / "units.yaml").write_text("units: [Phường Vĩnh Phú]\n", encoding="utf-8")
    with database.session() as session:
        session.add(User(pseudonym="a" * 64, channel="zalo", unit="Xã Hưng Lộc"))
        for number in range(20):
            add_attempt(session, f"{number:064x}", "phuong vinh phu", {"vneid-01": number < 10})
    env = {"HOCVUSO_DATABASE_URL": database_url, "HOCVUSO_KNOWLEDGE_DIR": str(tmp_path)}

    result = CliRunner().invoke(main, ["stats"], env=env)

    assert result.exit_code == 0, result.output
    assert "Phường Vĩnh Phú" in result.stdout and "phuong vinh phu" not in result.stdout
    assert "Đơn vị chưa có trong danh sách" in result.stdout and "Xã Hưng Lộc" in result.stdout
    document = json.loads(CliRunner().invoke(main, ["stats", "--json", "--unit", "p. vinh phu"], env=env).stdout)
    assert document["overview"]["attempts"] == 20 and document["by_unit"][0]["listed"] is True


def test_exports_of_a_unit_hold_every_spelling_of_it(database, database_url, tmp_path):
    log = EvidenceLog(database)
    for number, unit in enumerate(["Phường Vĩnh Phú", "phuong vinh phu", "Xã Hưng Lộc", "P. Vĩnh Phú"]):
        log.append("question_asked", f"{number:064x}", "zalo", unit, {"answered": True})
    (tmp_path / "units.yaml").write_text("units: [Phường Vĩnh Phú]\n", encoding="utf-8")
    units = load_units(tmp_path)

    spellings = unit_spellings(database, StatsFilter(unit="vinh phu", units=units))
    assert sorted(spellings) == ["P. Vĩnh Phú", "Phường Vĩnh Phú", "phuong vinh phu"]

    target = tmp_path / "minh-chung.csv"
    env = {"HOCVUSO_DATABASE_URL": database_url, "HOCVUSO_KNOWLEDGE_DIR": str(tmp_path)}
    args = ["evidence", "export", "--out", str(target), "--unit", "phường vĩnh phú"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Đã xuất 3 sự kiện" in result.output
