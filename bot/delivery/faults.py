"""Crash points for the crash tests and benchmark: ``HOCVUSO_CRASH_AT=<point>:<n>``.

The process dies like ``kill -9`` (no cleanup, no commit) the n-th time it passes
the named point. Unset in production, where :func:`crash_point` only reads a dict.
"""

from __future__ import annotations

import os
import threading

_passes: dict[str, int] = {}
_lock = threading.Lock()


def crash_point(name: str) -> None:
    """Die here if ``HOCVUSO_CRASH_AT`` names this point and its count is reached."""
    spec = os.environ.get("HOCVUSO_CRASH_AT")
    if not spec:
        return
    point, _, count = spec.partition(":")
    if point != name:
        return
    with _lock:
        _passes[name] = _passes.get(name, 0) + 1
        if _passes[name] >= int(count or 1):
            os._exit(137)
