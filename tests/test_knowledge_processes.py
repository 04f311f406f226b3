"""The knowledge base across real processes: a running server takes in another
process's ingest; Ctrl+C stops an ingest without losing the documents already read."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fixtures_channels import wait_until_serving
from fixtures_knowledge import LESSON, PLANS_DIR

from hocvuso.settings import load_settings
from knowledge.base import KnowledgeBase
from knowledge.embedding import NoEmbedder
from knowledge.store import ChunkStore

HOCVUSO = str(Path(sys.executable).with_name("hocvuso"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(data_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOCVUSO_DATA_DIR": str(data_dir),
        "HOCVUSO_DATABASE_URL": f"sqlite:///{tmp_path / 'hocvuso.db'}",
        "HOCVUSO_EMBEDDING__BACKEND": "none",
        "HOCVUSO_LLM__BASE_URL": "",
    }


def ingest(env: dict[str, str], *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([HOCVUSO, "ingest", "--quiet", *map(str, paths)], env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_running_server_answers_from_another_process_ingest(tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(PLANS_DIR / "tinh-dong-thap.txt", plans)
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    env = env_for(tmp_path / "data", tmp_path)
    assert ingest(env, plans).returncode == 0

    port = free_port()
    server = subprocess.Popen([HOCVUSO, "serve", "--port", str(port), "--no-worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def ask(question: str) -> dict:
        response = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    try:
        wait_until_serving(base, server)
        assert not ask("Ai xin mã OTP qua điện thoại?")["found"]

        # Another process ingests a new lesson while the server runs.
        (lessons / "90-thu-nghiem.md").write_text(LESSON, encoding="utf-8")
        result = ingest(env, plans, lessons)
        assert result.returncode == 0, result.stderr
        ingested = time.monotonic()
        while not (answer := ask("Ai xin mã OTP qua điện thoại?"))["found"]:
            assert time.monotonic() - ingested < 5, "the server did not take in the new ingest"
            time.sleep(0.2)
        assert answer["sources"][0]["doc_id"] == "90-thu-nghiem"
        assert "Trần Trí Quang" in ask("Ai ký kế hoạch của tỉnh Đồng Tháp?")["answer"]  # the old content stays
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_ctrl_c_keeps_finished_documents_and_the_next_run_completes_the_rest(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    plans = sorted(PLANS_DIR.glob("*.txt"))
    count = 150
    for number in range(count):
        source = plans[number % len(plans)]
        text = source.read_text(encoding="utf-8")
        # Each copy is its own document: its own name and one line of its own.
        (corpus / f"ban-{number:03d}-{source.name}").write_text(f"{text}\nBản sao số {number}.\n", encoding="utf-8")
    data = tmp_path / "data"
    env = env_for(data, tmp_path)
    marker = data / "index" / "ingest-none.pending"

    run = subprocess.Popen([HOCVUSO, "ingest", str(corpus)], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert time.monotonic() < deadline and run.poll() is None, "the ingest did not start"
        time.sleep(0.05)
    store = ChunkStore(load_settings(data_dir=data, embedding={"backend": "none"}), NoEmbedder())
    while store.count() == 0:  # the first batch is written: far from all documents
        assert time.monotonic() < deadline and run.poll() is None, "the ingest wrote nothing"
        time.sleep(0.1)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)

    assert run.returncode == 130, err
    assert "Đã dừng theo yêu cầu" in err
    settings = load_settings(data_dir=data, embedding={"backend": "none"})
    kept = KnowledgeBase.open(settings).documents()
    assert 0 < len(kept) < count, "interrupt the ingest while it runs"
    assert all(doc["chunks"] > 10 for doc in kept)  # whole documents, not parts

    result = ingest(env, corpus)
    assert result.returncode == 0, result.stderr
    assert f"{count - len(kept)} tài liệu mới" in result.stderr
    assert f"{len(kept)} không đổi" in result.stderr
    documents = KnowledgeBase.open(settings).documents()
    assert len(documents) == count
    assert not marker.exists()
    # Copies of one plan have the same chunks: nothing was lost or doubled by the interruption.
    by_plan: dict[str, set[int]] = {}
    for doc in documents:
        by_plan.setdefault(doc["doc_id"].split("-", 2)[2], set()).add(doc["chunks"])
    assert all(len(sizes) == 1 for sizes in by_plan.values()), by_plan
