"""The knowledge base on a Chroma server (``HOCVUSO_CHROMA_URL``), run on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import httpx
import pytest
from chromadb.config import Settings as ChromaSettings

from fixtures_knowledge import LESSON
from hocvuso.settings import load_settings
from ingest.pipeline import ingest_paths
from knowledge.base import FRESHNESS_SECONDS, KnowledgeBase
from knowledge.store import COLLECTION_PREFIX

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def empty_server(url: str) -> str:
    """The shared server of CI, with this project's collections of earlier tests removed."""
    parsed = urlparse(url)
    client = chromadb.HttpClient(host=parsed.hostname, port=parsed.port or 8000,
                                 settings=ChromaSettings(anonymized_telemetry=False))
    for collection in client.list_collections():
        if collection.name.startswith(COLLECTION_PREFIX):
            client.delete_collection(collection.name)
    return url


@pytest.fixture
def chroma_url(tmp_path):
    """A real Chroma server on loopback: the one `.ci/run` started
    (``HOCVUSO_TEST_CHROMA_URL``), else one started here on a free port."""
    if os.environ.get("HOCVUSO_TEST_CHROMA_URL"):
        yield empty_server(os.environ["HOCVUSO_TEST_CHROMA_URL"])
        return
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
            except httpx.TransportError:
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


def test_every_machine_sharing_the_server_takes_in_an_ingest(tmp_path, chroma_url):
    shutil.copy(Path(__file__).parent.parent / "knowledge" / "plans" / "tinh-dong-thap.txt", tmp_path)
    writer = load_settings(data_dir=tmp_path / "writer", chroma_url=chroma_url, embedding={"backend": "none"})
    assert ingest_paths(writer, [tmp_path / "tinh-dong-thap.txt"], progress=False).ok
    # Two running servers on other machines (their own data dirs), opened before the next ingest.
    readers = [
        KnowledgeBase.open(
            load_settings(data_dir=tmp_path / name, chroma_url=chroma_url, embedding={"backend": "none"})
        )
        for name in ("reader-1", "reader-2")
    ]
    assert all(not kb.ask("Ai xin mã OTP qua điện thoại?").found for kb in readers)

    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "90-thu-nghiem.md").write_text(LESSON, encoding="utf-8")
    assert ingest_paths(writer, [lessons, tmp_path / "tinh-dong-thap.txt"], progress=False).ok
    time.sleep(FRESHNESS_SECONDS + 0.1)

    for kb in readers:
        answer = kb.ask("Ai xin mã OTP qua điện thoại?")
        assert answer.found and answer.sources[0].doc_id == "90-thu-nghiem"
        assert "Trần Trí Quang" in kb.ask("Ai ký kế hoạch của tỉnh Đồng Tháp?").answer
