"""Split a set of UTC days into contiguous ranges the API accepts (at most 90 days each).

A Dagster run may cover any set of daily partitions: a backfill of a year, a gap left by a
failed run, a single re-run. The API takes one contiguous `[start, end)` window of at most 90
days, so the days are grouped into contiguous runs and each run is cut every `max_days`. All
instants are UTC midnights, so daylight saving time never shifts a boundary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_RANGE_DAYS = 90
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class DayRange:
    """The UTC days `first..last` (both included), i.e. the instants `[start, end)`."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        for name in ("first", "last"):
            value = getattr(self, name)
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise TypeError(f"DayRange.{name} must be a date, got {value!r}")
        if self.last < self.first:
            raise ValueError(f"DayRange last {self.last} is before first {self.first}")

    @classmethod
    def single(cls, day: dt.date) -> DayRange:
        return cls(day, day)

    @property
    def start(self) -> dt.datetime:
        """`first` at 00:00 UTC (inclusive)."""
        return dt.datetime.combine(self.first, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The day after `last` at 00:00 UTC (exclusive)."""
        return dt.datetime.combine(self.last + _ONE_DAY, dt.time(), tzinfo=dt.UTC)

    @property
    def days(self) -> int:
        """How many days the range covers."""
        return (self.last - self.first).days + 1

    def dates(self) -> list[dt.date]:
        """Every day of the range, in order."""
        return [self.first + dt.timedelta(days=i) for i in range(self.days)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def split_days(days: Iterable[dt.date], max_days: int = MAX_RANGE_DAYS) -> list[DayRange]:
    """Sorted, de-duplicated `days` as contiguous ranges of at most `max_days` days each.

    A gap (a missing day) always starts a new range, so a range never asks for days the caller
    did not want; a contiguous run longer than `max_days` is cut into full ranges plus a rest.
    """
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    ordered = sorted(set(_checked(days)))
    ranges: list[DayRange] = []
    first = previous = None
    for day in ordered:
        if first is None or previous is None:
            first = previous = day
            continue
        contiguous = day - previous == _ONE_DAY
        if not contiguous or (day - first).days >= max_days:
            ranges.append(DayRange(first, previous))
            first = day
        previous = day
    if first is not None and previous is not None:
        ranges.append(DayRange(first, previous))
    return ranges


def _checked(days: Iterable[dt.date]) -> Sequence[dt.date]:
    checked = list(days)
    for day in checked:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise TypeError(f"split_days takes dates, got {day!r}")
    return checked
