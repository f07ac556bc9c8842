"""Client-side rate-limit pacing: stay under the server's budget instead of bouncing off 429s.

Dagster pools cap concurrent steps, not request rate, so the client paces itself. After every
response it reads the budget left in the current window (`X-RateLimit-Remaining`/`-Reset`, or
Genesys' `inin-ratelimit-count`/`-allowed`/`-reset`). Before each request it decides a delay:
none while the budget is comfortable; below `reserve`, the remaining requests are spread evenly
over the seconds until the reset; with nothing left, it waits for the reset.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimitWindow:
    """What one response said about the budget: requests left, seconds until it refills."""

    remaining: int
    reset_s: float


#: A reset above this is a moment (Unix epoch seconds), not a duration: 10^9 s is 2001-09-09,
#: and no window lasts 31 years. Above 10^12 it is epoch milliseconds.
EPOCH_SECONDS = 1e9
EPOCH_MILLISECONDS = 1e12


def reset_seconds(value: float, now: float) -> float:
    """Seconds until the reset, whether the server sent a duration or an epoch time."""
    if value >= EPOCH_MILLISECONDS:
        value /= 1000.0
    if value >= EPOCH_SECONDS:
        return max(0.0, value - now)
    return value


def parse_rate_limit(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> RateLimitWindow | None:
    """The window from either header family (any case); None when absent or malformed. The
    reset may be seconds until it (Genesys) or the moment itself in epoch seconds or ms."""
    lower = {name.lower(): value for name, value in headers.items()}
    remaining = _number(lower.get("x-ratelimit-remaining"))
    reset = _number(lower.get("x-ratelimit-reset"))
    if remaining is None:
        count = _number(lower.get("inin-ratelimit-count"))
        allowed = _number(lower.get("inin-ratelimit-allowed"))
        if count is not None and allowed is not None:
            remaining = allowed - count
            reset = _number(lower.get("inin-ratelimit-reset"))
    if remaining is None or reset is None or reset < 0:
        return None
    return RateLimitWindow(remaining=max(0, int(remaining)), reset_s=reset_seconds(reset, now()))


def parse_budget(headers: Mapping[str, str]) -> int | None:
    """The window's whole budget (`inin-ratelimit-allowed`), when the server says it."""
    lower = {name.lower(): value for name, value in headers.items()}
    allowed = _number(lower.get("inin-ratelimit-allowed"))
    return int(allowed) if allowed is not None and allowed >= 1 else None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class RateLimitPacer:
    """Thread-safe pacing decisions; `delay()` reserves a slot and says how long to wait first.

    Each decision also counts the request against the local copy of the budget, so threads that
    ask before any new response arrives do not all see the same "remaining".
    """

    def __init__(
        self,
        *,
        reserve: int = 10,
        max_wait_s: float = 65.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reserve = reserve
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at = 0.0
        self._next_slot = 0.0
        self._budget: int | None = None

    def window(self) -> RateLimitWindow | None:
        """The current window as the pacer sees it (requests not yet handed out, seconds to
        the reset); None before any rate-limit header or once the window has passed.
        Read-only: callers (e.g. chunked imports) size their requests by it."""
        with self._lock:
            now = self._clock()
            if self._remaining is None or now >= self._reset_at:
                return None
            return RateLimitWindow(remaining=self._remaining, reset_s=self._reset_at - now)

    def budget(self) -> int | None:
        """The window's whole budget as last announced by the server, if it says it."""
        with self._lock:
            return self._budget

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the current window from a response's headers (no headers: no change)."""
        window = parse_rate_limit(headers)
        if window is None:
            return
        budget = parse_budget(headers)
        with self._lock:
            if budget is not None:
                self._budget = budget
            now = self._clock()
            reset_at = now + window.reset_s
            new_window = self._remaining is None or now >= self._reset_at
            if new_window or reset_at > self._reset_at + 1.0:
                self._remaining = window.remaining
                self._next_slot = now
            else:
                # Same window: responses arrive out of order, trust the lower count.
                self._remaining = min(self._remaining, window.remaining)
            self._reset_at = reset_at

    def delay(self) -> float:
        """Seconds to wait before sending the next request (0 when the budget allows)."""
        with self._lock:
            now = self._clock()
            if self._remaining is None or now >= self._reset_at:
                self._remaining = None  # window over: unknown until the next response
                return 0.0
            left = self._reset_at - now
            if self._remaining <= 0:
                wait = left
            elif self._remaining < self.reserve:
                slot = min(max(now, self._next_slot), self._reset_at)
                self._next_slot = slot + (self._reset_at - slot) / self._remaining
                self._remaining -= 1
                wait = slot - now
            else:
                self._remaining -= 1
                wait = 0.0
            return min(wait, self.max_wait_s)
