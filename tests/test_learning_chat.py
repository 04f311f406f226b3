"""``hocvuso chat``: the terminal channel end to end, on the real knowledge base and database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot import texts
from bot.channels.numbered import NumberedOptions
from bot.evidence import EvidenceLog
from bot.messages import Button
from hocvuso.cli import main
from hocvuso.db import Database
from hocvuso.db.models import EvidenceEvent
from hocvuso.settings import load_settings
from ingest.pipeline import ingest_paths


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data dir with the shipped plans and lessons ingested (lexical retrieval only, for speed)."""
    directory = tmp_path_factory.mktemp("data")
    ingest_paths(load_settings(data_dir=directory, embedding={"backend": "none"}), progress=False)
    return directory


@pytest.fixture
def env(data_dir, tmp_path) -> dict[str, str]:
    """Environment of a ``hocvuso`` run: the ingested knowledge, a fresh database per test."""
    return {
        "HOCVUSO_DATA_DIR": str(data_dir),
        "HOCVUSO_EMBEDDING__BACKEND": "none",
        "HOCVUSO_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}",
    }


def events(env) -> list[tuple[str, str | None, dict]]:
    db = Database.from_url(env["HOCVUSO_DATABASE_URL"])
    try:
        with db.session() as session:
            return [
                (e.event_type, e.unit, json.loads(e.data))
                for e in session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id))
            ]
    finally:
        db.close()


def test_a_piped_conversation_with_menus_quiz_and_a_question(env):
    lines = [
        "/start",
        "3",  # [3] Chủ đề
        "lừa đảo",  # not a number: a question about fraud, answered from the lesson
        "quiz lua dao",
        "1",  # the first option, through the numbered buttons
        "B",  # a letter: the second option
        "VNeID là gì?",
        "2",  # no buttons since the last reply: the core reads it as the answer
        "/huy",
        "ket qua",
    ]

    result = CliRunner().invoke(main, ["chat", "--user", "0912345678", "--unit", "Xã Nghĩa Trung"],
                                input="\n".join(lines) + "\n", env=env)

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Trợ lý: " + texts.unit_registered("Xã Nghĩa Trung") in out
    assert "Bạn: /start\nTrợ lý: " + texts.WELCOME in out
    assert f"[1] Hỏi đáp\n[2] Làm bài trắc nghiệm\n[3] Chủ đề\n[4] Kết quả của tôi\n[5] {texts.MENU_UNIT}" in out
    assert texts.TOPICS_HEADER in out and ". Nhận diện và xử lý lừa đảo trực tuyến (" in out
    assert "Câu 1/5 · Nhận diện và xử lý lừa đảo trực tuyến" in out
    assert "(Gõ số từ 1 đến " in out
    assert "Câu 4/5 · " in out and "Câu 5/5" not in out
    assert "Nguồn:\n• Tài khoản định danh điện tử VNeID, mục «" in out
    assert texts.QUIZ_CANCELLED in out
    assert texts.NO_RESULTS in out and texts.unit_current("Xã Nghĩa Trung") in out

    logged = events(env)
    kinds = [e[0] for e in logged if e[0] != "lesson_read"]
    assert kinds == [
        "unit_registered",
        "question_asked",
        "quiz_started", "quiz_answered", "quiz_answered",
        "question_asked",
        "quiz_answered",
    ]
    assert {e[1] for e in logged} == {"Xã Nghĩa Trung"}
    read = [e[2]["lesson"] for e in logged if e[0] == "lesson_read"]
    assert "05-lua-dao" in read and "02-vneid" in read
    assert [e[2]["position"] for e in logged if e[0] == "quiz_answered"] == [0, 1, 2]
    assert "0912345678" not in repr(logged)


def test_chat_through_a_real_pipe_exits_at_end_of_input(env, tmp_path):
    script = Path(sys.executable).with_name("hocvuso")
    completed = subprocess.run(
        [str(script), "chat", "--user", "demo"],
        input="/quiz mật khẩu\n1\n2\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "PATH": str(script.parent), "HOME": str(tmp_path)},
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("Bạn: ") == 3
    assert "Câu 3/5 · Mật khẩu mạnh và xác thực hai yếu tố" in completed.stdout
    assert [e[0] for e in events(env)] == ["quiz_started", "quiz_answered", "quiz_answered"]
    db = Database.from_url(env["HOCVUSO_DATABASE_URL"])
    assert EvidenceLog(db).verify().ok
    db.close()


def test_numbered_options_map_numbers_and_labels_to_payloads():
    options = NumberedOptions(capacity=2)
    menu = [Button("Hỏi đáp", "menu:ask"), Button("Tiếp tục", "quiz:resume")]

    assert options.offer("a", menu) == "[1] Hỏi đáp\n[2] Tiếp tục"
    assert options.choose("a", "2") == "quiz:resume"
    assert options.choose("a", " [1] ") == "menu:ask"
    assert options.choose("a", "tiep tuc") == "quiz:resume"
    assert options.choose("a", "3") is None and options.choose("a", "hỏi") is None
    assert options.choose("b", "1") is None

    answers = [Button(str(n), f"quiz:ans:1:0:{n - 1}") for n in range(1, 5)]
    assert options.offer("b", answers) == texts.choose_hint(4)
    assert options.choose("b", "4") == "quiz:ans:1:0:3"
    options.offer("c", menu)  # capacity 2: "a" is forgotten
    assert options.choose("a", "1") is None
    options.forget("b")
    assert options.choose("b", "1") is None
