"""Contract: `split_days` turns any set of UTC days into sorted, contiguous ranges of at most
`max_days` (default 90) days; gaps start a new range; duplicates and order do not matter; each
range's instants are `[first 00:00Z, last+1 00:00Z)`, leap days included."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from cx_assets.cxone.ranges import DayRange, split_days

UTC = dt.UTC


def days_from(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(count)]


def test_exactly_90_days_is_one_range() -> None:
    ranges = split_days(days_from(dt.date(2024, 1, 1), 90))
    assert ranges == [DayRange(dt.date(2024, 1, 1), dt.date(2024, 3, 30))]
    assert ranges[0].days == 90


def test_91_days_are_two_ranges() -> None:
    ranges = split_days(days_from(dt.date(2024, 1, 1), 91))
    assert ranges == [
        DayRange(dt.date(2024, 1, 1), dt.date(2024, 3, 30)),
        DayRange(dt.date(2024, 3, 31), dt.date(2024, 3, 31)),
    ]
    assert [r.days for r in ranges] == [90, 1]


def test_a_year_and_200_days() -> None:
    assert [r.days for r in split_days(days_from(dt.date(2023, 1, 1), 365))] == [90, 90, 90, 90, 5]
    assert len(split_days(days_from(dt.date(2024, 1, 1), 200))) == 3


def test_gaps_split_even_short_runs() -> None:
    days = [dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 4), dt.date(2024, 6, 1)]
    assert split_days(days) == [
        DayRange(dt.date(2024, 5, 1), dt.date(2024, 5, 2)),
        DayRange(dt.date(2024, 5, 4), dt.date(2024, 5, 4)),
        DayRange(dt.date(2024, 6, 1), dt.date(2024, 6, 1)),
    ]


def test_unsorted_and_duplicated_input() -> None:
    days = days_from(dt.date(2024, 1, 1), 100) * 2
    random.Random(7).shuffle(days)
    assert split_days(days) == split_days(days_from(dt.date(2024, 1, 1), 100))
    assert [r.days for r in split_days(days)] == [90, 10]


def test_leap_day_is_a_day_of_its_range() -> None:
    (leap,) = split_days([dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 3, 1)])
    assert leap.days == 3
    assert dt.date(2024, 2, 29) in leap
    assert leap.start == dt.datetime(2024, 2, 28, tzinfo=UTC)
    assert leap.end == dt.datetime(2024, 3, 2, tzinfo=UTC)
    # 90 days from 1 Dec 2023 end on 28 Feb 2024 in a leap year: 29 Feb starts the next range.
    ranges = split_days(days_from(dt.date(2023, 12, 1), 91))
    assert ranges[0].last == dt.date(2024, 2, 28)
    assert ranges[1] == DayRange.single(dt.date(2024, 2, 29))


def test_instants_are_utc_midnights_across_dst_changes() -> None:
    march = DayRange(dt.date(2024, 3, 30), dt.date(2024, 3, 31))  # EU DST starts 31 March
    assert march.start == dt.datetime(2024, 3, 30, tzinfo=UTC)
    assert march.end - march.start == dt.timedelta(hours=48)
    assert march.dates() == [dt.date(2024, 3, 30), dt.date(2024, 3, 31)]


def test_empty_input_and_bad_arguments() -> None:
    assert split_days([]) == []
    with pytest.raises(ValueError, match="max_days must be at least 1"):
        split_days([dt.date(2024, 1, 1)], max_days=0)
    with pytest.raises(TypeError, match="split_days takes dates"):
        split_days([dt.datetime(2024, 1, 1, tzinfo=UTC)])
    with pytest.raises(ValueError, match="before first"):
        DayRange(dt.date(2024, 1, 2), dt.date(2024, 1, 1))


def test_custom_max_days() -> None:
    assert [r.days for r in split_days(days_from(dt.date(2024, 1, 1), 7), max_days=3)] == [3, 3, 1]
