"""Tampering with a copy of the evidence database, as an auditor with write access would (SQLite and PostgreSQL).

The log holds 50 events and a checkpoint signed over them; each case then changes the
database behind the library's back, recomputing every hash it can (the attacker has
the database, not the evidence key). ``verify`` with the checkpoint must refuse every
case and name why, while the untouched log, and the same log with new events, passes.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from bot.checkpoint import Checkpoint, EvidenceKey, parse
from bot.evidence import EvidenceLog, event_hash
from hocvuso.cli import main
from hocvuso.db.models import EvidenceEvent

EVENTS = 50
SEED = bytes(range(32))  # a fixed key, so the CLI can be given it through the environment


@pytest.fixture
def key() -> EvidenceKey:
    return EvidenceKey(seed=SEED)


@pytest.fixture
def log(database, key) -> EvidenceLog:
    log = EvidenceLog(database, key)
    for number in range(EVENTS):
        unit = f"Xã số {number % 4}"
        log.append("quiz_answered", f"{number % 7:064x}", "telegram", unit, {"n": number, "correct": number % 3 == 0})
    return log


@pytest.fixture
def checkpoint(log) -> Checkpoint:
    return log.checkpoint()


def run_sql(database, statement: str, **params) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(statement), params)


def rows(database) -> list[dict]:
    """Every event as a dict of its columns (times timezone-aware, as the library reads them)."""
    columns = [column.key for column in EvidenceEvent.__table__.columns]
    with database.session() as session:
        events = session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id))
        return [{name: getattr(event, name) for name in columns} for event in events]


def rewrite(database, events: list[dict], seal: str | None = "keep") -> None:
    """Replace the whole table by ``events``, renumbered and rechained with fresh hashes, and move the head."""
    with database.session() as session:
        session.execute(text("DELETE FROM evidence_events"))
        previous = "0" * 64
        for number, event in enumerate(events, start=1):
            created_at = event["created_at"]
            digest = event_hash(number, created_at, event["event_type"], event["user"], event["channel"],
                                event["unit"], json.loads(event["data"]), previous)
            session.add(EvidenceEvent(id=number, created_at=created_at, event_type=event["event_type"],
                                      user=event["user"], channel=event["channel"], unit=event["unit"],
                                      data=event["data"], prev_hash=previous, hash=digest,
                                      seal=event["seal"] if seal == "keep" else seal))
            previous = digest
        session.execute(text("UPDATE evidence_head SET last_id = :i, last_hash = :h"),
                        {"i": len(events), "h": previous})


def forged(event: dict, **changes) -> dict:
    return {**event, **changes}


# Each case: what the attacker does to the database.
def edit_data(db):
    run_sql(db, "UPDATE evidence_events SET data = :d WHERE id = 20", d='{"correct":true,"n":19}')


def edit_unit(db):
    run_sql(db, "UPDATE evidence_events SET unit = 'Phường Khác' WHERE id = 3")


def forge_hash(db):
    run_sql(db, "UPDATE evidence_events SET hash = :h WHERE id = 7", h="f" * 64)


def edit_and_rehash_one(db):
    event = rows(db)[9]
    digest = event_hash(10, event["created_at"], event["event_type"], event["user"], event["channel"],
                        "Phường Khác", json.loads(event["data"]), event["prev_hash"])
    run_sql(db, "UPDATE evidence_events SET unit = 'Phường Khác', hash = :h WHERE id = 10", h=digest)


def delete_middle(db):
    run_sql(db, "DELETE FROM evidence_events WHERE id = 25")


def delete_first(db):
    run_sql(db, "DELETE FROM evidence_events WHERE id = 1")


def delete_last_rows(db):
    run_sql(db, "DELETE FROM evidence_events WHERE id > 45")


def delete_head_row(db):
    run_sql(db, "DELETE FROM evidence_head")


def truncate_and_move_head(db):
    kept = rows(db)[:45]
    run_sql(db, "DELETE FROM evidence_events WHERE id > 45")
    run_sql(db, "UPDATE evidence_head SET last_id = 45, last_hash = :h", h=kept[-1]["hash"])


def delete_everything_and_reset_head(db):
    run_sql(db, "DELETE FROM evidence_events")
    run_sql(db, "UPDATE evidence_head SET last_id = 0, last_hash = :h", h="0" * 64)


def append_chained_forgery_and_move_head(db):
    events = rows(db)
    extra = forged(events[-1], data='{"correct":true,"n":999}', seal=None)
    rewrite(db, events + [extra])


def append_chained_forgery_with_copied_seal(db):
    events = rows(db)
    rewrite(db, events + [forged(events[-1], data='{"correct":true,"n":999}')])


def edit_then_rehash_everything(db):
    events = rows(db)
    events[19] = forged(events[19], data='{"correct":true,"n":19}')
    rewrite(db, events)


def insert_then_rehash_everything(db):
    events = rows(db)
    rewrite(db, events[:30] + [forged(events[30], user="b" * 64)] + events[30:])


def delete_then_rehash_everything(db):
    events = rows(db)
    rewrite(db, events[:12] + events[13:])


def reorder_then_rehash_everything(db):
    events = rows(db)
    events[4], events[5] = events[5], events[4]
    rewrite(db, events)


def full_rewrite_without_seals(db):
    events = [forged(event, unit="Xã Giả") for event in rows(db)]
    rewrite(db, events, seal=None)


def full_rewrite_and_new_origin(db):
    full_rewrite_without_seals(db)
    run_sql(db, "UPDATE evidence_head SET origin = 'hocvuso.local/minh-chung/gia'")


def chained_row_past_the_head(db):
    last = rows(db)[-1]
    digest = event_hash(EVENTS + 1, last["created_at"], "quiz_completed", last["user"], "telegram",
                        None, {}, last["hash"])
    with db.session() as session:
        session.add(EvidenceEvent(id=EVENTS + 1, created_at=last["created_at"], event_type="quiz_completed",
                                  user=last["user"], channel="telegram", unit=None, data="{}",
                                  prev_hash=last["hash"], hash=digest, seal=last["seal"]))


def strip_seals_of_the_newest(db):
    run_sql(db, "UPDATE evidence_events SET seal = NULL WHERE id > 40")


CASES = [
    edit_data, edit_unit, forge_hash, edit_and_rehash_one, delete_middle, delete_first, delete_last_rows,
    delete_head_row, truncate_and_move_head, delete_everything_and_reset_head, append_chained_forgery_and_move_head,
    append_chained_forgery_with_copied_seal, edit_then_rehash_everything, insert_then_rehash_everything,
    delete_then_rehash_everything, reorder_then_rehash_everything, full_rewrite_without_seals,
    full_rewrite_and_new_origin, chained_row_past_the_head, strip_seals_of_the_newest,
]


@pytest.mark.parametrize("tamper", CASES, ids=[case.__name__ for case in CASES])
def test_every_tampering_is_caught_by_the_checkpoint(log, checkpoint, database, tamper):
    tamper(database)
    result = log.verify(checkpoint)
    assert result.ok is False, result.reason
    assert result.reason


def test_the_untouched_log_and_its_new_events_pass(log, checkpoint):
    assert log.verify(checkpoint).ok
    log.append("lesson_read", "c" * 64, "web", None, {"lesson": "vneid"})
    result = log.verify(checkpoint)
    assert (result.ok, result.checked) == (True, EVENTS + 1)
    assert "thêm 1 sự kiện" in result.reason


def test_reasons_name_what_happened(log, checkpoint, database):
    truncate_and_move_head(database)
    assert "cắt ngắn" in log.verify(checkpoint).reason
    assert log.verify().ok, "without the checkpoint a clean truncation is invisible: that is why it exists"


def test_a_rewrite_with_recomputed_hashes_is_named(log, checkpoint, database):
    edit_then_rehash_everything(database)
    assert EvidenceLog(database).verify().ok, "without the key or a checkpoint, the recomputed chain looks fine"
    assert "mã gốc Merkle khác" in EvidenceLog(database).verify(checkpoint, log.verifier()).reason
    assert "niêm phong" in log.verify().reason


def test_a_row_past_the_head_is_reported_and_appends_go_on(log, database):
    chained_row_past_the_head(database)
    result = log.verify()
    assert result.ok is False and result.first_bad == EVENTS + 1
    assert "sau đầu chuỗi" in result.reason
    new_id = log.append("lesson_read", "c" * 64, "web", None, {})
    assert new_id == EVENTS + 2, "the append skips the forged id instead of failing on it"
    assert log.verify().ok is False


def test_a_changed_checkpoint_file_or_another_key_is_refused(log, checkpoint):
    bigger = parse(checkpoint.note.replace(f"\n{EVENTS}\n", f"\n{EVENTS - 5}\n", 1))
    assert "Chữ ký" in log.verify(bigger).reason
    other = EvidenceKey.generate()
    stranger = replace(checkpoint, note="").signed(other)
    assert "không có chữ ký của khóa" in log.verify(stranger).reason
    assert log.verify(stranger, other.verifier(checkpoint.origin)).ok, "with its own key, the same tree passes"


def test_checkpoints_are_stored_and_the_latest_is_returned(log, checkpoint):
    log.append("lesson_read", "c" * 64, "web", None, {})
    newer = log.checkpoint()
    assert newer.size == EVENTS + 1
    assert log.latest_checkpoint().note == newer.note
    assert log.verify(log.latest_checkpoint()).ok and log.verify(checkpoint).ok


def test_a_broken_log_gets_no_checkpoint(log, database):
    edit_data(database)
    with pytest.raises(Exception, match="đã hỏng"):
        log.checkpoint()


def test_cli_checkpoint_then_verify(log, database, database_url, tmp_path):
    env = {"HOCVUSO_DATABASE_URL": database_url, "HOCVUSO_DATA_DIR": str(tmp_path / "data"),
           "HOCVUSO_EVIDENCE__SIGNING_KEY": base64.b64encode(SEED).decode()}
    out = tmp_path / "diem-moc.txt"
    made = CliRunner().invoke(main, ["evidence", "checkpoint", "--out", str(out)], env=env)
    assert made.exit_code == 0, made.output
    document = out.read_text(encoding="utf-8")
    assert f"Số sự kiện đã ghi: {EVENTS}" in document and "Khóa công khai: " in document
    passed = CliRunner().invoke(main, ["evidence", "verify", "--checkpoint", str(out)], env=env)
    assert passed.exit_code == 0 and "khớp điểm mốc" in passed.output

    reorder_then_rehash_everything(database)
    failed = CliRunner().invoke(main, ["evidence", "verify", "--checkpoint", str(out)], env=env)
    assert failed.exit_code == 1
    assert "niêm phong" in failed.stderr


def test_cli_verify_with_the_printed_public_key(log, database, database_url, tmp_path):
    env = {"HOCVUSO_DATABASE_URL": database_url, "HOCVUSO_DATA_DIR": str(tmp_path / "data"),
           "HOCVUSO_EVIDENCE__SIGNING_KEY": base64.b64encode(SEED).decode()}
    out = tmp_path / "diem-moc.txt"
    CliRunner().invoke(main, ["evidence", "checkpoint", "--out", str(out)], env=env)
    printed = next(line for line in out.read_text().splitlines() if line.startswith("Khóa công khai: "))
    delete_everything_and_reset_head(database)
    # Checked on a machine that has only the database copy and the printed key, not the secret key.
    offline = {**env, "HOCVUSO_EVIDENCE__SIGNING_KEY": base64.b64encode(bytes(32)).decode()}
    result = CliRunner().invoke(main, ["evidence", "verify", "--checkpoint", str(out),
                                       "--public-key", printed.removeprefix("Khóa công khai: ")], env=offline)
    assert result.exit_code == 1
    assert "cắt ngắn" in result.stderr
    with database.session() as session:
        assert session.scalars(select(EvidenceEvent)).first() is None
