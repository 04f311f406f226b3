"""The knowledge base on a Chroma server (``HOCVUSO_CHROMA_URL``), run on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fixtures_knowledge import LESSON
from hocvuso.settings import load_settings
from ingest.pipeline import ingest_paths
from knowledge.base import KnowledgeBase

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_url(tmp_path):
    """A real Chroma server on a free loopback port, stopped after the test."""
    if not CHROMA.exists():
        pytest.skip("chromadb không kèm lệnh chroma để chạy máy chủ")
    port = free_port()
    server = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("máy chủ Chroma không khởi động")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_ingest_and_ask_through_a_chroma_server(tmp_path, chroma_url):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "90-thu-nghiem.md").write_text(LESSON, encoding="utf-8")
    shutil.copy(Path(__file__).parent.parent / "knowledge" / "plans" / "tinh-dong-thap.txt", tmp_path)
    writer = load_settings(data_dir=tmp_path / "writer", chroma_url=chroma_url, embedding={"backend": "none"})
    report = ingest_paths(writer, [lessons, tmp_path / "tinh-dong-thap.txt"], progress=False)
    assert report.ok and report.total_chunks > 10
    assert not (tmp_path / "writer" / "chroma").exists()  # nothing stored locally but the index
    # Another machine (another data dir) reads the same store and builds its own index.
    reader = KnowledgeBase.open(
        load_settings(data_dir=tmp_path / "reader", chroma_url=chroma_url, embedding={"backend": "none"})
    )
    assert "Trần Trí Quang" in reader.ask("Ai ký kế hoạch của tỉnh Đồng Tháp?").answer
    assert reader.search("mã OTP", kind="lesson")[0].doc_id == "90-thu-nghiem"
