"""The evidence hash chain: appends, tamper detection (rows edited with raw SQL), concurrency, CLI verify."""

from __future__ import annotations

import hashlib
import json
import threading
import unicodedata

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from bot.evidence import EvidenceError, EvidenceLog, event_hash
from hocvuso.cli import main
from hocvuso.db.models import EvidenceEvent

USER = "a1" * 32


@pytest.fixture
def log(database) -> EvidenceLog:
    """An evidence log with five events: a question, a unit, a quiz started, answered, completed."""
    log = EvidenceLog(database)
    log.append("question_asked", USER, "telegram", None, {"answered": True})
    log.append("unit_registered", USER, "telegram", "Xã An Phú", {})
    log.append("quiz_started", USER, "telegram", "Xã An Phú", {"attempt_id": 1, "topic": "vneid"})
    log.append("quiz_answered", USER, "telegram", "Xã An Phú", {"attempt_id": 1, "correct": False})
    log.append("quiz_completed", USER, "telegram", "Xã An Phú", {"attempt_id": 1, "score": 4, "total": 5})
    return log


def run_sql(database, statement: str, **params) -> None:
    """Tamper with the store behind the library's back."""
    with database.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_hashes_follow_the_documented_recipe(log, database):
    with database.session() as session:
        events = session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id)).all()
    assert [event.id for event in events] == [1, 2, 3, 4, 5]
    previous = "0" * 64
    for event in events:
        body = {
            "id": event.id,
            "created_at": event.created_at.isoformat(timespec="microseconds"),
            "event_type": event.event_type,
            "user": event.user,
            "channel": event.channel,
            "unit": event.unit,
            "data": json.loads(event.data),
        }
        canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert event.prev_hash == previous
        assert event.hash == hashlib.sha256((canonical + previous).encode()).hexdigest()
        previous = event.hash
    assert [event.created_at for event in events] == sorted(event.created_at for event in events)


def test_intact_chain_verifies(log):
    result = log.verify()
    assert (result.ok, result.checked, result.first_bad) == (True, 5, None)


def test_empty_chain_verifies(database):
    result = EvidenceLog(database).verify()
    assert (result.ok, result.checked, result.first_bad) == (True, 0, None)


def test_altered_data_is_detected_at_that_event(log, database):
    run_sql(database, "UPDATE evidence_events SET data = :data WHERE id = 4", data='{"attempt_id":1,"correct":true}')
    result = log.verify()
    assert (result.ok, result.checked, result.first_bad) == (False, 3, 4)
    assert "bị sửa" in result.reason


def test_altered_unit_is_detected(log, database):
    run_sql(database, "UPDATE evidence_events SET unit = 'Phường Khác' WHERE id = 2")
    assert log.verify().first_bad == 2


def test_forged_hash_is_detected(log, database):
    run_sql(database, "UPDATE evidence_events SET hash = :forged WHERE id = 2", forged="f" * 64)
    assert log.verify().first_bad == 2


def test_rehashed_edit_breaks_the_link_to_the_next_event(log, database):
    with database.session() as session:
        event = session.get(EvidenceEvent, 2)
        fields = (event.id, event.created_at, event.event_type, event.user, event.channel)
        forged = event_hash(*fields, "Phường Khác", {}, event.prev_hash)
    run_sql(database, "UPDATE evidence_events SET unit = 'Phường Khác', hash = :h WHERE id = 2", h=forged)
    result = log.verify()
    assert (result.first_bad, result.checked) == (3, 2)
    assert "không nối" in result.reason


def test_deleted_row_in_the_middle_is_detected(log, database):
    run_sql(database, "DELETE FROM evidence_events WHERE id = 3")
    result = log.verify()
    assert (result.ok, result.checked, result.first_bad) == (False, 2, 3)
    assert "Thiếu sự kiện #3" in result.reason


def test_deleted_first_row_is_detected(log, database):
    run_sql(database, "DELETE FROM evidence_events WHERE id = 1")
    assert log.verify().first_bad == 1


def test_deleted_newest_rows_are_detected_by_the_chain_head(log, database):
    run_sql(database, "DELETE FROM evidence_events WHERE id >= 4")
    result = log.verify()
    assert (result.ok, result.checked, result.first_bad) == (False, 3, 4)
    assert "cuối chuỗi" in result.reason


def test_deleted_chain_head_is_detected(log, database):
    run_sql(database, "DELETE FROM evidence_head")
    assert log.verify().ok is False
    with pytest.raises(EvidenceError):
        log.append("lesson_read", USER, "web")


def test_concurrent_appends_keep_one_valid_chain(database):
    log = EvidenceLog(database)
    threads_count, per_thread = 8, 25
    ids: dict[int, list[int]] = {}
    barrier = threading.Barrier(threads_count)

    def writer(number: int) -> None:
        barrier.wait()
        ids[number] = [
            log.append("question_asked", f"{number:064x}", "web", None, {"answered": True, "n": i})
            for i in range(per_thread)
        ]

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every_id = sorted(i for chunk in ids.values() for i in chunk)
    assert every_id == list(range(1, threads_count * per_thread + 1))
    assert all(chunk == sorted(chunk) for chunk in ids.values())
    result = log.verify()
    assert (result.ok, result.checked) == (True, threads_count * per_thread)


def test_unknown_event_type_is_refused_and_nothing_is_written(database):
    log = EvidenceLog(database)
    with pytest.raises(EvidenceError, match="Loại sự kiện không hợp lệ"):
        log.append("quiz_hacked", USER, "web")
    assert log.verify().checked == 0


def test_unit_is_stored_in_nfc(database):
    log = EvidenceLog(database)
    log.append("unit_registered", USER, "zalo", unicodedata.normalize("NFD", "  Xã Đông Hưng "))
    with database.session() as session:
        assert session.scalars(select(EvidenceEvent.unit)).one() == "Xã Đông Hưng"


def test_cli_verify_passes_on_an_intact_chain(log, database_url):
    result = CliRunner().invoke(main, ["evidence", "verify"], env={"HOCVUSO_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert "nguyên vẹn: 5 sự kiện" in result.output


def test_cli_verify_fails_and_names_the_first_bad_event(log, database, database_url):
    run_sql(database, "UPDATE evidence_events SET channel = 'zalo' WHERE id = 3")
    run_sql(database, "DELETE FROM evidence_events WHERE id = 4")
    result = CliRunner().invoke(main, ["evidence", "verify"], env={"HOCVUSO_DATABASE_URL": database_url})
    assert result.exit_code == 1
    assert "sự kiện #3" in result.stderr
    assert "#3 đã bị sửa" in result.stderr


def test_cli_reports_an_unreachable_database_clearly():
    env = {"HOCVUSO_DATABASE_URL": "postgresql+psycopg://postgres:mat-khau@127.0.0.1:1/test"}
    result = CliRunner().invoke(main, ["evidence", "verify"], env=env)
    assert result.exit_code == 1
    assert "Không mở được cơ sở dữ liệu" in result.output
    assert "mat-khau" not in result.output
