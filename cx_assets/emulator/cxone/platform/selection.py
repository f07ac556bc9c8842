"""Which contacts a query matches, as index ranges per day: counted and paged without a day in RAM.

A contact matches when it exists (its `lastUpdateTime` has passed: contacts still running, or
not yet written, are not served), its start is in `[startDate, endDate)` and, with
`updatedSince`, its (possibly late-updated) `lastUpdateTime` is at or after it. Starts rise with
the index, so the window is two bisections; the time filters are exact only within
`MAX_SPAN_MS` of "now" and of `updatedSince`, so only those stretches are scanned one contact at
a time, the rest are plain `range`s. Late-updated contacts of older days are looked up in the
(small) update store.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cx_assets.emulator.cxone.platform.contacts import DAY_MS, MAX_SPAN_MS, DayGenerator
from cx_assets.emulator.cxone.platform.updates import DayUpdates, UpdateStore


@dataclass(frozen=True)
class Query:
    """Instants in epoch ms; `start`/`end` None means no contactStart window."""

    start: int | None
    end: int | None
    updated_since: int | None


@dataclass(frozen=True)
class DaySelection:
    day: date
    #: Ascending, disjoint runs of contact indexes (ranges, or lists where filtered).
    parts: tuple[Sequence[int], ...]
    updates: DayUpdates

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)


def _day_of(epoch_ms: int) -> date:
    return datetime.fromtimestamp(epoch_ms // 1000, UTC).date()


class Selector:
    def __init__(self, generator: DayGenerator, updates: UpdateStore) -> None:
        self.gen = generator
        self.updates = updates

    def _first_start_at(self, day: date, t_ms: int) -> int:
        """The first index whose start is at or after `t_ms` (bisection; starts rise)."""
        lo, hi = 0, self.gen.per_day
        while lo < hi:
            mid = (lo + hi) // 2
            if self.gen.start_ms(day, mid) < t_ms:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def days(self, query: Query, now_ms: int) -> list[date]:
        """The days whose contacts may match, oldest first, none after today."""
        today = _day_of(now_ms)
        if query.start is not None and query.end is not None:
            first, last = _day_of(query.start), min(_day_of(query.end - 1), today)
        else:
            assert query.updated_since is not None
            first, last = _day_of(query.updated_since - MAX_SPAN_MS), today
        span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if query.updated_since is not None and query.start is None:
            span = sorted(set(span) | {d for d in self.updates.days() if d < first})
        return span

    def select(self, query: Query, now_ms: int) -> list[DaySelection]:
        chosen = [self._select_day(day, query, now_ms) for day in self.days(query, now_ms)]
        return [s for s in chosen if s.parts]

    def _select_day(self, day: date, query: Query, now_ms: int) -> DaySelection:
        updates = self.updates.day(day)
        if self.gen.per_day == 0:
            return DaySelection(day, (), updates)
        bound = self._first_start_at
        lo = bound(day, query.start) if query.start is not None else 0
        hi = bound(day, query.end) if query.end is not None else self.gen.per_day
        complete = bound(day, now_ms - MAX_SPAN_MS + 1)  # below: finished long before now
        future = bound(day, now_ms + 1)  # from here on: not even started
        since = query.updated_since
        only_updated = bound(day, since - MAX_SPAN_MS + 1) if since is not None else 0
        all_updated = bound(day, since) if since is not None else 0
        inner = (min(max(c, lo), hi) for c in (complete, future, only_updated, all_updated))
        cuts = sorted({lo, hi, *inner})
        parts: list[Sequence[int]] = []
        for a, b in itertools.pairwise(cuts):
            if a >= future:
                continue
            if since is not None and b <= only_updated:  # only late-updated contacts can match
                candidates = [i for i in sorted(updates) if a <= i < b]
                run: Sequence[int] = [
                    i for i in candidates if self._ok(day, i, updates, since, now_ms)
                ]
            elif b <= complete and a >= all_updated:
                run = range(a, b)
            else:
                run = [i for i in range(a, b) if self._ok(day, i, updates, since, now_ms)]
            if run:
                parts.append(run)
        return DaySelection(day, tuple(parts), updates)

    def _ok(self, day: date, i: int, updates: DayUpdates, since: int | None, now: int) -> bool:
        update = updates.get(i)
        last = update["lastUpdateTime"] if update else self.gen.shape(day, i).last_update_ms
        return last <= now and (since is None or last >= since)


def count(selections: list[DaySelection]) -> int:
    return sum(len(s) for s in selections)


def page(selections: list[DaySelection], skip: int, top: int) -> Iterator[tuple[DaySelection, int]]:
    """(day, index) of the matches at positions [skip, skip + top), in the stable order."""
    for selection in selections:
        for part in selection.parts:
            if skip >= len(part):
                skip -= len(part)
                continue
            for i in part[skip : skip + top]:
                yield selection, i
                top -= 1
            skip = 0
            if top <= 0:
                return


__all__ = ["DAY_MS", "DaySelection", "Query", "Selector", "count", "page"]
