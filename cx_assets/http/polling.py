"""Poll a long-running server job until it is done, backing off up to a bound, within a deadline.

Hand-written rather than tenacity: the loop is a dozen lines, and its deadline rule (a sleep that
would cross the deadline is not started, so the caller hears of the timeout at once) and the
"done may raise the vendor's own failure" contract read more plainly than a tenacity policy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PollTimeout(Exception, Generic[T]):
    """The job was not done before the deadline; `last` is what the final poll returned."""

    def __init__(self, last: T, timeout_s: float) -> None:
        super().__init__(f"still not done after {timeout_s:g} s")
        self.last = last
        self.timeout_s = timeout_s


def poll_until(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    initial_s: float,
    max_s: float,
    timeout_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """`fetch()` until `done(result)`, sleeping `initial_s`, doubling up to `max_s` between polls.

    `done` may raise to stop on a terminal failure (the vendor's own error type). Raises
    `PollTimeout` carrying the last result when the next sleep would cross `timeout_s`.
    """
    deadline = clock() + timeout_s
    interval = initial_s
    while True:
        result = fetch()
        if done(result):
            return result
        if clock() + interval > deadline:
            raise PollTimeout(result, timeout_s)
        sleep(interval)
        interval = min(interval * 2, max_s)
