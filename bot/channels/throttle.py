"""Per-user flood control: a sliding window of recent messages for each user."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Verdict(Enum):
    """What to do with one incoming message."""

    PASS = "pass"  # process it
    WARN = "warn"  # first message over the limit: drop it, tell the user politely
    DROP = "drop"  # further messages over the limit: drop them silently


class Throttle:
    """Allows at most ``limit`` messages per ``window`` seconds for each user."""

    def __init__(
        self, limit: int = 12, window: float = 20.0, clock: Callable[[], float] = time.monotonic
    ):
        # 12 in 20 s lets a quick quiz taker through (start and five answers in a few
        # seconds) and stops a script or a stuck key after a dozen messages.
        self.limit = limit
        self.window = window
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}
        self._swept_at = clock()

    def check(self, user: str) -> Verdict:
        """Record a message from ``user`` and say whether to process it."""
        now = self._clock()
        cutoff = now - self.window
        if self._swept_at <= cutoff:
            self._sweep(cutoff)
            self._swept_at = now
        times = self._seen.setdefault(user, deque())
        _drop_old(times, cutoff)
        warned_at = self._warned.get(user)
        if warned_at is not None and warned_at <= cutoff:
            del self._warned[user]
        if len(times) < self.limit:
            times.append(now)
            return Verdict.PASS
        if user in self._warned:
            return Verdict.DROP
        self._warned[user] = now
        return Verdict.WARN

    def _sweep(self, cutoff: float) -> None:
        # Forget quiet users, at most once a window, so memory follows active users only.
        for user in list(self._seen):
            _drop_old(self._seen[user], cutoff)
            if not self._seen[user]:
                del self._seen[user]
        for user, warned_at in list(self._warned.items()):
            if warned_at <= cutoff:
                del self._warned[user]


def _drop_old(times: deque[float], cutoff: float) -> None:
    # Dropped messages are never recorded, so a flooding user gets back in as
    # soon as their accepted messages leave the window.
    while times and times[0] <= cutoff:
        times.popleft()
