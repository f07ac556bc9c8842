"""`poll_until`: returns the first result `done` accepts, sleeps a doubling interval capped at
`max_s`, lets `done` raise the caller's own failure, and raises `PollTimeout` with the last result
instead of starting a sleep that would cross the deadline."""

from __future__ import annotations

import pytest

from cx_assets.http.polling import PollTimeout, poll_until


class FakeClock:
    """Time that moves only when the poller sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_returns_the_first_done_result_after_doubling_capped_sleeps() -> None:
    clock = FakeClock()
    statuses = iter(["pending", "pending", "running", "running", "running", "done"])
    result = poll_until(
        lambda: next(statuses),
        lambda status: status == "done",
        initial_s=1,
        max_s=4,
        timeout_s=100,
        sleep=clock.sleep,
        clock=clock,
    )
    assert result == "done"
    assert clock.sleeps == [1, 2, 4, 4, 4]


def test_done_may_raise_the_callers_failure() -> None:
    def done(status: str) -> bool:
        if status == "failed":
            raise RuntimeError("job failed: disk full")
        return status == "done"

    statuses = iter(["pending", "failed"])
    clock = FakeClock()
    with pytest.raises(RuntimeError, match="disk full"):
        poll_until(
            lambda: next(statuses),
            done,
            initial_s=1,
            max_s=1,
            timeout_s=10,
            sleep=clock.sleep,
            clock=clock,
        )


def test_timeout_carries_the_last_result_and_never_sleeps_past_the_deadline() -> None:
    clock = FakeClock()
    polls = iter(range(100))
    with pytest.raises(PollTimeout) as raised:
        poll_until(
            lambda: next(polls),
            lambda _: False,
            initial_s=1,
            max_s=8,
            timeout_s=10,
            sleep=clock.sleep,
            clock=clock,
        )
    # slept 1 + 2 + 4 = 7 s; the next 8 s sleep would end at 15 s, past the 10 s deadline
    assert clock.sleeps == [1, 2, 4]
    assert raised.value.last == 3
    assert "10 s" in str(raised.value)
