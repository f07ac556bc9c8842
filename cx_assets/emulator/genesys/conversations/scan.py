"""A job's conversations as one sequence of positions, and the pages cut from it.

A job's interval maps to index ranges of the days it can touch (details.Day starts rise with the
index). With `startOfDayIntervalMatching` the ranges hold exactly the conversations starting
inside the interval; without it they start `MAX_LIFETIME_MS` earlier and each candidate is kept
when its lifetime overlaps the interval. Conversations that start after the job's "now" do not
exist yet; those still going at "now" have no end. A page is generated from its position alone,
so a cursor only has to carry that position.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cx_assets.emulator.genesys.conversations.details import DAY_MS, MAX_LIFETIME_MS, Day, Shape
from cx_assets.emulator.genesys.conversations.details_render import render
from cx_assets.emulator.genesys.conversations.query import Query


@dataclass(frozen=True)
class Page:
    """The conversations' JSON texts, the next position (None: last page) and the running count."""

    conversations: list[str]
    next_position: int | None
    emitted: int


class Scan:
    """Positions 0 … total-1 over the candidate conversations of one job, in the job's order."""

    def __init__(self, query: Query, seed: int, per_day: int, now_ms: int) -> None:
        self.query = query
        self.now_ms = now_ms
        first = query.start_ms if query.start_of_day else query.start_ms - MAX_LIFETIME_MS
        last = min(query.end_ms, now_ms + 1)  # starts in [first, last)
        self._ranges: list[tuple[Day, int, int]] = []
        self._offsets: list[int] = []
        total = 0
        day = datetime.fromtimestamp(first // 1000, UTC).date()
        while per_day and last > first:
            gen = Day(seed, day, per_day)
            if gen.day_ms >= last:
                break
            lo = gen.first_at_or_after(max(first, gen.day_ms))
            hi = gen.first_at_or_after(min(last, gen.day_ms + DAY_MS))
            if hi > lo:
                self._offsets.append(total)
                self._ranges.append((gen, lo, hi))
                total += hi - lo
            day += timedelta(days=1)
        self.total = total
        self.descending = query.order == "desc"

    def locate(self, position: int) -> tuple[Day, int]:
        """The day and index behind a position (the order already applied)."""
        ordinal = self.total - 1 - position if self.descending else position
        k = bisect.bisect_right(self._offsets, ordinal) - 1
        gen, lo, _ = self._ranges[k]
        return gen, lo + ordinal - self._offsets[k]

    def matches(self, shape: Shape) -> bool:
        q = self.query
        if q.start_of_day or shape.start >= q.start_ms:
            return True  # the ranges only hold starts before the interval's end
        return min(shape.end, self.now_ms) > q.start_ms

    def _next_match(self, position: int) -> tuple[int, Day, Shape] | None:
        """The first kept conversation at or after `position`, with its day and shape."""
        while position < self.total:
            gen, index = self.locate(position)
            shape = gen.shape(index)
            if self.matches(shape):
                return position, gen, shape
            position += 1
        return None

    def page(self, position: int, emitted: int, size: int) -> Page:
        """Up to `size` conversations from `position`; `emitted` counts earlier pages (limit).

        The next position is that of the next kept conversation, so no page but a job's only
        one is ever empty and the last page carries no cursor.
        """
        limit = self.query.limit
        room = size if limit is None else min(size, limit - emitted)
        out: list[str] = []
        hit = self._next_match(position)
        while hit is not None and len(out) < room:
            found, gen, shape = hit
            out.append(render(gen, shape, self.now_ms))
            hit = self._next_match(found + 1)
        emitted += len(out)
        if hit is None or (limit is not None and emitted >= limit):
            return Page(out, None, emitted)
        return Page(out, hit[0], emitted)
