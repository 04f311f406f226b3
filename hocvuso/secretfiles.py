"""Secrets kept as files in the data dir: created once with mode 0600, then read back.

Several processes (the server, the bots, the CLI) may start at once on a fresh
data dir: the file is created exclusively, so they all end up with the same secret.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class SecretFileError(Exception):
    """A secret file that cannot be read or created; the message is shown to the user."""


def read_or_create(path: Path, make: Callable[[], bytes], what: str) -> bytes:
    """The content of ``path``, created from ``make()`` with mode 0600 when missing.

    ``what`` names the secret in the messages (Vietnamese); its creation is logged as a
    warning, because losing the file later has consequences the operator must know.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read_when_written(path, what)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(make())
    except OSError as error:
        raise SecretFileError(f"Không tạo hoặc đọc được {what} tại {path}: {error}") from error
    log.warning("Đã tạo %s mới tại %s (quyền 0600). Hãy sao lưu tệp này cẩn thận.", what, path)
    return _read(path, what)


def _read_when_written(path: Path, what: str, attempts: int = 20) -> bytes:
    """Read a secret another process may have just created and not yet written."""
    for _ in range(attempts - 1):
        if path.stat().st_size:
            break
        time.sleep(0.05)
    return _read(path, what)


def _read(path: Path, what: str) -> bytes:
    try:
        mode = path.stat().st_mode
        content = path.read_bytes()
    except OSError as error:
        raise SecretFileError(f"Không đọc được {what} tại {path}: {error}") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s tại %s đọc được bởi người khác (quyền %o); nên đặt 0600.", what, path, mode & 0o777)
    if not content.strip():
        # An empty secret is never used: the file was truncated or its writer died.
        raise SecretFileError(f"{what} tại {path} đang trống; hãy khôi phục tệp từ bản sao lưu.")
    return content
