"""Ingest into a real Chroma store: idempotence, updates, removals, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixtures_knowledge import PLANS_DIR, corpus_dirs, make_corpus  # noqa: F401
from hocvuso.cli import main
from hocvuso.settings import load_settings
from ingest.pipeline import ingest_paths
from knowledge.base import KnowledgeBase, index_path
from knowledge.embedding import NoEmbedder
from knowledge.store import ChunkStore


@pytest.fixture
def workspace(tmp_path: Path):
    """Two plans in a folder, and settings with a fresh data dir."""
    plans = tmp_path / "plans"
    plans.mkdir()
    for name in ("tinh-nghe-an.txt", "xa-nghia-trung.txt"):
        shutil.copy(PLANS_DIR / name, plans / name)
    settings = load_settings(data_dir=tmp_path / "data", embedding={"backend": "none"})
    return plans, settings


def stored_ids(settings) -> set[str]:
    return set(ChunkStore(settings, NoEmbedder()).ids())


def test_reingest_of_unchanged_files_changes_nothing(workspace):
    plans, settings = workspace
    first = ingest_paths(settings, [plans], progress=False)
    assert first.ok and sorted(first.added) == ["tinh-nghe-an", "xa-nghia-trung"]
    ids = stored_ids(settings)
    index_mtime = index_path(settings, "none").stat().st_mtime_ns
    with pytest.MonkeyPatch.context() as patch:
        # Nothing changed: the run answers from the saved index without opening the store.
        patch.setattr(ChunkStore, "__init__", lambda *a, **k: pytest.fail("the store was opened"))
        second = ingest_paths(settings, [plans], progress=False)
    assert second.unchanged == ["tinh-nghe-an", "xa-nghia-trung"]
    assert (second.chunks_written, second.chunks_deleted, second.changed) == (0, 0, False)
    assert stored_ids(settings) == ids
    assert index_path(settings, "none").stat().st_mtime_ns == index_mtime
    assert second.total_chunks == first.total_chunks == len(ids)


def test_changed_file_replaces_its_chunks_and_removed_file_is_deleted(workspace):
    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    before = stored_ids(settings)
    path = plans / "tinh-nghe-an.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Bùi Đình Long", "Nguyễn Văn Thử"), encoding="utf-8")
    report = ingest_paths(settings, [plans], progress=False)
    assert report.updated == ["tinh-nghe-an"] and report.unchanged == ["xa-nghia-trung"]
    after = stored_ids(settings)
    assert len(before - after) == 1 and len(after - before) == 1  # only the signature chunk changed
    assert "Nguyễn Văn Thử" in KnowledgeBase.open(settings).ask("Ai ký kế hoạch của tỉnh Nghệ An?").answer

    (plans / "xa-nghia-trung.txt").unlink()
    report = ingest_paths(settings, [plans], progress=False)
    assert report.removed == ["xa-nghia-trung"]
    kb = KnowledgeBase.open(settings)
    assert [doc["doc_id"] for doc in kb.documents()] == ["tinh-nghe-an"]
    assert not any(source.doc_id == "xa-nghia-trung" for source in kb.search("Nghĩa Trung", k=20))


def test_bad_files_are_reported_skipped_and_lose_nothing(workspace):
    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    before = stored_ids(settings)
    bad = plans.parent / "bad"
    bad.mkdir()
    (bad / "rong.txt").write_bytes(b"")
    (bad / "anh.txt").write_bytes(bytes(range(256)) * 4)
    (bad / "cu.txt").write_bytes("Kế hoạch".encode("utf-8") + "Hà Nội".encode("latin-1", "replace"))
    (bad / "hong.pdf").write_bytes(b"%PDF-1.4\nrac rac rac\n%%EOF")
    (bad / "bang.xyz").write_bytes(b"1,2,3")
    # A file that was fine becomes corrupt: its chunks stay until it is fixed.
    (plans / "tinh-nghe-an.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = ingest_paths(settings, [plans, bad, plans.parent / "khong-co"], progress=False)
    assert not report.ok
    failed = {Path(path).name: reason for path, reason in report.failed}
    assert set(failed) == {"rong.txt", "anh.txt", "cu.txt", "hong.pdf", "bang.xyz", "tinh-nghe-an.txt", "khong-co"}
    assert "rỗng" in failed["rong.txt"] and "nhị phân" in failed["anh.txt"] and "UTF-8" in failed["cu.txt"]
    assert stored_ids(settings) == before
    assert KnowledgeBase.open(settings).ask("Ai ký kế hoạch của tỉnh Nghệ An?").found


def test_cli_ingest_summary_and_exit_code(workspace, monkeypatch):
    plans, settings = workspace
    monkeypatch.setenv("HOCVUSO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HOCVUSO_EMBEDDING__BACKEND", "none")
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", "--quiet", str(plans)])
    assert result.exit_code == 0, result.output
    assert "2 tài liệu mới" in result.output
    (plans / "hong.pdf").write_bytes(b"%PDF-1.4 hong")
    result = runner.invoke(main, ["ingest", "--quiet", str(plans)])
    assert result.exit_code == 1
    assert "hong.pdf" in result.output and "2 không đổi" in result.output


def test_an_interrupted_run_is_completed_by_the_next(workspace):
    plans, settings = workspace
    ingest_paths(settings, [plans], progress=False)
    complete = stored_ids(settings)
    # A crash in the middle of writing: some chunks missing, the marker left behind,
    # the lexical index from before.
    ChunkStore(settings, NoEmbedder()).delete(sorted(complete)[:5])
    (settings.data_dir / "index" / "ingest-none.pending").touch()
    kb = KnowledgeBase.open(settings)  # still opens: the index follows the store
    assert len(kb.documents()) == 2
    report = ingest_paths(settings, [plans], progress=False)
    assert report.ok and report.chunks_written > 0
    assert stored_ids(settings) == complete
    assert not (settings.data_dir / "index" / "ingest-none.pending").exists()
    assert ingest_paths(settings, [plans], progress=False).unchanged == ["tinh-nghe-an", "xa-nghia-trung"]


BROKEN_QUIZ = """\
topic: lua-dao
topic_name: Giữ an toàn mã OTP
lesson: 90-thu-nghiem
questions:
  - id: lua-dao-01
    question: "Ai được phép biết mã OTP của bạn?"
    options: ["Không ai cả", "Nhân viên ngân hàng", "Công an", "Nhân viên nhà mạng"]
    correct: 1
    explanation: "Mã OTP là chìa khóa tài khoản: không đưa cho bất kỳ ai."
    section: "Tóm tắt"
    difficulty: easy
  - id: lua-dao-02
    question: "Mã OTP dùng được mấy lần?"
    options: ["Một lần", "Mãi mãi", "Ba lần", "Trong một ngày"]
    correct: 5
    explanation: "Mã OTP là dãy số dùng một lần."
    section: "Các bước"
    difficulty: easy
  - id: lua-dao-03
    question: "Ngân hàng có gọi điện xin mã OTP không?"
    options: ["Có", "Không bao giờ", "Khi khóa thẻ", "Khi chuyển tiền lớn"]
    correct: 2
    explanation: "Ngân hàng và công an không bao giờ gọi điện xin mã OTP."
    section: "Mục không có"
    difficulty: easy
"""


def test_cli_ingest_reports_quiz_errors_and_still_ingests_the_documents(tmp_path, monkeypatch):
    knowledge = tmp_path / "knowledge"
    plans, lessons = make_corpus(knowledge)
    shutil.rmtree(plans)
    plans.mkdir()
    shutil.copy(PLANS_DIR / "xa-nghia-trung.txt", plans / "xa-nghia-trung.txt")
    quizzes = knowledge / "quizzes"
    quizzes.mkdir()
    (quizzes / "90-thu-nghiem.yaml").write_text(BROKEN_QUIZ, encoding="utf-8")
    monkeypatch.setenv("HOCVUSO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOCVUSO_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("HOCVUSO_EMBEDDING__BACKEND", "none")

    result = CliRunner().invoke(main, ["ingest", "--quiet"])

    assert result.exit_code == 1
    assert "2 tài liệu mới" in result.output and "2 lỗi" in result.output
    lines = result.output.splitlines()
    out_of_range = next(line for line in lines if "lua-dao-02" in line)
    assert "90-thu-nghiem.yaml" in out_of_range and "'correct' = 5" in out_of_range
    wrong_section = next(line for line in lines if "lua-dao-03" in line)
    assert "90-thu-nghiem.yaml" in wrong_section and "Mục không có" in wrong_section
    assert "lua-dao-01" not in result.output
    # The documents are in the store all the same.
    settings = load_settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, embedding={"backend": "none"})
    kb = KnowledgeBase.open(settings)
    assert sorted(doc["doc_id"] for doc in kb.documents()) == ["90-thu-nghiem", "xa-nghia-trung"]
    assert kb.ask("mã OTP là gì").found

    # Fixed, the next run (nothing to re-ingest) passes.
    (quizzes / "90-thu-nghiem.yaml").write_text(
        BROKEN_QUIZ.replace("correct: 5", "correct: 1").replace("Mục không có", "Các bước"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["ingest", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "2 không đổi" in result.output and "lỗi" not in result.output


def test_a_reingest_is_taken_in_by_an_open_knowledge_base(tmp_path, corpus_dirs):
    plans, lessons = corpus_dirs
    settings = load_settings(data_dir=tmp_path / "data", knowledge_dir=plans.parent, embedding={"backend": "none"})
    kb = KnowledgeBase.open(settings)
    assert kb.is_empty() and not kb.ask("mã OTP là gì").found

    report = ingest_paths(settings, [lessons], progress=False)
    kb.reload()

    assert report.ok and not kb.is_empty()
    assert kb.ask("mã OTP là gì").found
    assert [doc["doc_id"] for doc in kb.documents()] == ["90-thu-nghiem"]
