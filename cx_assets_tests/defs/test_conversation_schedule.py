"""Contract: the nightly conversations schedule re-pulls the last few days (provisional ones
become final), one run per day, and refuses a nonsensical setting by name."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from cx_assets.defs.conversations.schedules import (
    REFRESH_DAYS_ENV,
    genesys_conversations_schedule,
)


def _tick(when: dt.datetime) -> list[dg.RunRequest]:
    context = dg.build_schedule_context(scheduled_execution_time=when)
    return list(genesys_conversations_schedule(context))


def test_each_night_requests_the_last_three_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REFRESH_DAYS_ENV, raising=False)
    requests = _tick(dt.datetime(2024, 6, 10, 2, 15, tzinfo=dt.UTC))
    assert [r.partition_key for r in requests] == ["2024-06-07", "2024-06-08", "2024-06-09"]
    # Run keys differ per night, so a day re-pulled tomorrow is not deduplicated away.
    assert len({r.run_key for r in requests}) == 3
    tomorrow = _tick(dt.datetime(2024, 6, 11, 2, 15, tzinfo=dt.UTC))
    assert {r.run_key for r in requests}.isdisjoint(r.run_key for r in tomorrow)


def test_the_window_is_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REFRESH_DAYS_ENV, "1")
    assert [r.partition_key for r in _tick(dt.datetime(2024, 6, 10, 2, 15, tzinfo=dt.UTC))] == [
        "2024-06-09"
    ]
    monkeypatch.setenv(REFRESH_DAYS_ENV, "0")
    with pytest.raises(ValueError, match=r"CX_CONVERSATIONS_REFRESH_DAYS=0: must be between"):
        _tick(dt.datetime(2024, 6, 10, 2, 15, tzinfo=dt.UTC))
