"""Fixtures of the knowledge tests: one knowledge base over the real plans, built once.

Test modules import the fixtures they use from here (``from fixtures_knowledge import ...``).
The base is lexical only (backend ``none``) unless a test is about embeddings.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR, load_settings

PLANS_DIR = PACKAGE_KNOWLEDGE_DIR / "plans"

# A lesson written for the tests, so they do not depend on the lessons being edited.
LESSON = """---
id: 90-thu-nghiem
title: Giữ an toàn mã OTP
topic: lua-dao
---
# Giữ an toàn mã OTP

## Mục tiêu
Sau bài học này, bà con biết **mã OTP** là gì và vì sao không được đưa cho ai.

## Các bước
### 1. Nhận biết mã OTP
Mã OTP là dãy số dùng một lần do ngân hàng gửi qua tin nhắn để xác nhận giao dịch.

### 2. Không đọc mã OTP cho người lạ
- Ngân hàng và công an không bao giờ gọi điện xin mã OTP.
- Ai xin mã OTP qua điện thoại là kẻ lừa đảo.

## Tóm tắt
- Mã OTP là chìa khóa tài khoản: không đưa cho bất kỳ ai.
"""


def make_corpus(root: Path) -> list[Path]:
    """Copy the real plans and write the test lesson under ``root``; return the two folders."""
    plans = root / "plans"
    lessons = root / "lessons"
    shutil.copytree(PLANS_DIR, plans)
    lessons.mkdir()
    (lessons / "90-thu-nghiem.md").write_text(LESSON, encoding="utf-8")
    return [plans, lessons]


@pytest.fixture(scope="session")
def corpus_dirs(tmp_path_factory) -> list[Path]:
    """The plans and the test lesson, copied into a temporary folder."""
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory, corpus_dirs):
    """Settings of an ingested, lexical-only knowledge base in a temporary data dir."""
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("knowledge")
    settings = load_settings(
        data_dir=root / "data", knowledge_dir=corpus_dirs[0].parent, embedding={"backend": "none"}
    )
    report = ingest_paths(settings, progress=False)
    assert report.ok, report.failed
    return settings


@pytest.fixture(scope="session")
def kb(kb_settings):
    """The knowledge base over the plans and the test lesson."""
    from knowledge.base import KnowledgeBase

    return KnowledgeBase.open(kb_settings)
