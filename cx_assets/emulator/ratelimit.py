"""Per-client request budget in fixed 60 s windows, and the headers that announce it."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    used: int
    budget: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        """Both header families: Genesys' `inin-ratelimit-*` and the common `X-RateLimit-*`."""
        return {
            "X-RateLimit-Remaining": str(max(0, self.budget - self.used)),
            "X-RateLimit-Reset": str(self.reset_s),
            "inin-ratelimit-count": str(self.used),
            "inin-ratelimit-allowed": str(self.budget),
            "inin-ratelimit-reset": str(self.reset_s),
        }

    def inin_headers(self) -> dict[str, str]:
        """Genesys' own family only: what the real Platform API v2 sends."""
        return {k: v for k, v in self.headers().items() if k.startswith("inin-")}


class RateLimiter:
    """A window opens at a client's first request and lasts 60 s; refused calls are not counted."""

    def __init__(
        self, budget: int, clock: Callable[[], float] | None = None, window_s: float = WINDOW_S
    ) -> None:
        """`window_s` is 60 like the vendors'; tests shorten it to see several windows fast."""
        self.budget = budget
        self.window_s = window_s
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, client_id: str) -> Verdict:
        now = self._clock()
        with self._lock:
            start, used = self._windows.get(client_id, (now, 0))
            if now - start >= self.window_s:
                start, used = now, 0
            allowed = used < self.budget
            if allowed:
                used += 1
            self._windows[client_id] = (start, used)
        reset_s = max(1, math.ceil(start + self.window_s - now))
        return Verdict(allowed, used, self.budget, reset_s)
