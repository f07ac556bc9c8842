"""Contract: a data table snapshot is filed only under the UTC day it is taken on (plus a short
grace after midnight for a late scheduled run); any other day is refused with a message saying
the table keeps no history and which day can be taken."""

from __future__ import annotations

import datetime as dt

import pytest

from cx_assets.flows.datatables_history import SNAPSHOT_GRACE, SnapshotDayRefused
from cx_assets.flows.datatables_history import check_snapshot_day as check

DAY = dt.date(2026, 3, 10)
MIDNIGHT = dt.datetime(2026, 3, 11, tzinfo=dt.UTC)  # the end of DAY


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 10, 23, 59, 59, tzinfo=dt.UTC),
        MIDNIGHT + SNAPSHOT_GRACE - dt.timedelta(seconds=1),  # a late scheduled run
        dt.datetime(2026, 3, 10, 20, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # 01:00 UTC
    ],
)
def test_the_day_it_is_and_a_late_run_just_after_are_allowed(now: dt.datetime) -> None:
    check(DAY, now=now)


def test_a_past_day_is_refused_naming_the_rule_and_what_can_be_taken() -> None:
    now = dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.UTC)
    with pytest.raises(SnapshotDayRefused) as refused:
        check(dt.date(2024, 1, 1), now=now)
    message = str(refused.value)
    assert "2024-01-01" in message and "is over" in message
    assert "keeps no history" in message
    assert "only 2026-12-02 can be taken" in message


def test_yesterday_is_refused_once_the_grace_is_over_and_named_while_it_lasts() -> None:
    with pytest.raises(SnapshotDayRefused):
        check(DAY, now=MIDNIGHT + SNAPSHOT_GRACE)
    with pytest.raises(SnapshotDayRefused) as refused:
        check(DAY - dt.timedelta(days=1), now=MIDNIGHT + dt.timedelta(minutes=5))
    assert f"or {DAY} until" in str(refused.value)


def test_a_day_that_has_not_started_is_refused() -> None:
    with pytest.raises(SnapshotDayRefused, match="has not started yet"):
        check(DAY + dt.timedelta(days=1), now=MIDNIGHT - dt.timedelta(seconds=1))
