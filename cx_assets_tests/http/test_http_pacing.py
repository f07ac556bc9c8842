"""Contract: the pacer reads either rate-limit header family and, before each request, waits
only when the budget is nearly spent: below the reserve it spreads the remaining requests over
the time to the reset, at zero it waits for the reset; concurrent callers get distinct slots."""

from __future__ import annotations

import threading

import pytest

from cx_assets.http.pacing import RateLimitPacer, RateLimitWindow, parse_rate_limit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Remaining": "42", "X-RateLimit-Reset": "17"}, RateLimitWindow(42, 17.0)),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"}, RateLimitWindow(0, 3.0)),
        (
            {
                "inin-ratelimit-count": "290",
                "inin-ratelimit-allowed": "300",
                "inin-ratelimit-reset": "12",
            },
            RateLimitWindow(10, 12.0),
        ),
        (
            {
                "inin-ratelimit-count": "305",
                "inin-ratelimit-allowed": "300",
                "inin-ratelimit-reset": "5",
            },
            RateLimitWindow(0, 5.0),
        ),
        ({}, None),
        ({"X-RateLimit-Remaining": "many", "X-RateLimit-Reset": "1"}, None),
        ({"X-RateLimit-Remaining": "5"}, None),
        ({"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "-1"}, None),
    ],
)
def test_parse_either_header_family(headers: dict, expected: RateLimitWindow | None) -> None:
    assert parse_rate_limit(headers) == expected


def test_no_headers_seen_means_no_wait() -> None:
    assert RateLimitPacer(clock=Clock()).delay() == 0.0


def test_comfortable_budget_means_no_wait() -> None:
    clock = Clock()
    pacer = RateLimitPacer(reserve=10, clock=clock)
    pacer.observe({"X-RateLimit-Remaining": "200", "X-RateLimit-Reset": "30"})
    assert [pacer.delay() for _ in range(5)] == [0.0] * 5


def test_exhausted_budget_waits_for_the_reset_then_stops_waiting() -> None:
    clock = Clock()
    pacer = RateLimitPacer(clock=clock)
    pacer.observe(
        {
            "inin-ratelimit-count": "300",
            "inin-ratelimit-allowed": "300",
            "inin-ratelimit-reset": "10",
        }
    )
    assert pacer.delay() == 10.0
    clock.now += 4
    assert pacer.delay() == 6.0
    clock.now += 6
    assert pacer.delay() == 0.0


def test_below_reserve_spreads_remaining_requests_until_the_reset() -> None:
    clock = Clock()
    pacer = RateLimitPacer(reserve=10, clock=clock)
    pacer.observe({"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "8"})
    # 4 requests left over 8 s: one slot every 2 s, then the fifth waits for the reset.
    assert [pacer.delay() for _ in range(5)] == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_waits_are_capped() -> None:
    clock = Clock()
    pacer = RateLimitPacer(clock=clock, max_wait_s=5.0)
    pacer.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"})
    assert pacer.delay() == 5.0


def test_a_stale_response_in_the_same_window_cannot_raise_the_budget() -> None:
    clock = Clock()
    pacer = RateLimitPacer(reserve=10, clock=clock)
    pacer.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "10"})
    pacer.observe({"X-RateLimit-Remaining": "50", "X-RateLimit-Reset": "10"})  # sent earlier
    assert pacer.delay() == 10.0


def test_a_new_window_replaces_the_old_budget() -> None:
    clock = Clock()
    pacer = RateLimitPacer(reserve=10, clock=clock)
    pacer.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2"})
    clock.now += 2.5
    pacer.observe({"X-RateLimit-Remaining": "299", "X-RateLimit-Reset": "60"})
    assert pacer.delay() == 0.0


def test_concurrent_callers_get_distinct_slots() -> None:
    clock = Clock()
    pacer = RateLimitPacer(reserve=100, clock=clock)
    pacer.observe({"X-RateLimit-Remaining": "8", "X-RateLimit-Reset": "16"})
    barrier = threading.Barrier(8)
    delays: list[float] = []
    lock = threading.Lock()

    def ask() -> None:
        barrier.wait()
        d = pacer.delay()
        with lock:
            delays.append(d)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(delays) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0]


@pytest.mark.parametrize(
    "reset",
    ["30", "1764857130", "1764857130000"],
    ids=["seconds", "epoch-seconds", "epoch-ms"],
)
def test_a_reset_is_read_as_seconds_or_as_an_epoch_time(reset: str) -> None:
    now = 1764857100.0  # 30 s before the epoch values above
    headers = {
        "inin-ratelimit-count": "290",
        "inin-ratelimit-allowed": "300",
        "inin-ratelimit-reset": reset,
    }
    window = parse_rate_limit(headers, now=lambda: now)
    assert window == RateLimitWindow(remaining=10, reset_s=30.0)


def test_an_epoch_reset_already_past_means_now() -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1764857000"}
    assert parse_rate_limit(headers, now=lambda: 1764857100.0) == RateLimitWindow(0, 0.0)
