"""Contract: Retry-After is read as seconds or an HTTP date; anything unusable is None (the
caller falls back to backoff) and nothing crashes; large values are capped."""

from __future__ import annotations

import datetime as dt

import pytest

from cx_assets.http.retry_after import MAX_RETRY_AFTER_S, parse_retry_after

NOW = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2", 2.0), ("2.5", 2.5), (" 7 ", 7.0), ("0", 0.0)],
)
def test_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_http_date_in_the_future_is_the_seconds_until_then() -> None:
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:05 GMT", NOW) == 5.0


def test_http_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Mon, 01 Jan 2024 11:59:00 GMT", NOW) == 0.0


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "-1", "-0.5", "nan", "inf", "1e999", "Mon, 99 Foo 2024 12:00:00 GMT", "2s"],
)
def test_missing_malformed_negative_or_absurd_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


@pytest.mark.parametrize("value", ["99999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_huge_values_are_capped(value: str) -> None:
    assert parse_retry_after(value, NOW) == MAX_RETRY_AFTER_S
    assert parse_retry_after(value, NOW, max_s=3.0) == 3.0
