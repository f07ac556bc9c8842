"""Progress lines for long transfers, at a steady rate, for any flow step (no Dagster).

A day's export can take minutes to hours; a user watching the run's log should see how far it
is, how fast it goes and (when the total is known) when it will end, without a line per file
of a day with thousands of them. `TransferProgress` counts what landed (files or pages, bytes,
records) and writes a line through the step's `ProgressLog` on the first item, then at most
every `every_s` seconds, and once at the end; `summary()` is what the step records as metadata.
It is thread-safe (tutorial downloads report from several threads) and takes its clock as an
argument, so tests drive it with a fake one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cx_assets.flows.context import ProgressLog

#: Seconds between two progress lines (the first item and the end are always logged).
DEFAULT_EVERY_S = 10.0
_MB = 1_000_000

Clock = Callable[[], float]


@dataclass(frozen=True)
class ProgressSummary:
    """What a finished (or failed) transfer did: counts, seconds since it started, rates."""

    items: int
    bytes: int
    records: int
    seconds: float

    @property
    def mb_per_s(self) -> float:
        return round(self.bytes / _MB / self.seconds, 3) if self.seconds > 0 else 0.0

    @property
    def records_per_s(self) -> float:
        return round(self.records / self.seconds, 1) if self.seconds > 0 else 0.0


def format_duration(seconds: float) -> str:
    """`42s`, `3m 05s`, `2h 07m`: an ETA a person reads at a glance."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


class TransferProgress:
    """Counts a transfer's items and logs where it stands at a steady rate.

    `what` opens every line (e.g. "2024-03-01 export"); `unit` names an item ("file", "page")
    and `record_unit` a record ("conversation"). Call `start` with the totals when they are
    known (files of a manifest); without them (cursor pages) the lines say so and give no ETA.
    """

    def __init__(
        self,
        log: ProgressLog,
        what: str,
        *,
        unit: str = "file",
        record_unit: str = "record",
        every_s: float = DEFAULT_EVERY_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.log, self.what, self.unit, self.record_unit = log, what, unit, record_unit
        self.every_s, self.clock = every_s, clock
        self.total_items: int | None = None
        self.total_bytes: int | None = None
        self._lock = threading.Lock()
        self._started = clock()
        self._items = self._bytes = self._records = 0
        self._last_line: float | None = None
        self._finished: ProgressSummary | None = None

    def start(self, *, items: int | None = None, bytes: int | None = None) -> None:
        """(Re)start counting from zero now, with the totals when they are known."""
        with self._lock:
            self.total_items, self.total_bytes = items, bytes
            self._started = self.clock()
            self._items = self._bytes = self._records = 0
            self._last_line = None
            self._finished = None

    def advance(self, *, bytes: int, records: int = 0, items: int = 1) -> None:
        """One more item landed; log a line if one is due."""
        with self._lock:
            self._items += items
            self._bytes += bytes
            self._records += records
            now = self.clock()
            if self._last_line is not None and now - self._last_line < self.every_s:
                return
            self._last_line = now
            self.log.info(self._line(now))

    def summary(self) -> ProgressSummary:
        """Where the transfer stands now, or how it ended once `finish` was called."""
        with self._lock:
            return self._finished or self._summary(self.clock())

    def finish(self) -> ProgressSummary:
        """Log the closing line and return the summary (`summary()` keeps returning it)."""
        with self._lock:
            done = self._finished = self._summary(self.clock())
            self.log.info(
                f"{self.what}: done, {self._counts(done)} in {format_duration(done.seconds)} "
                f"({done.mb_per_s:.1f} MB/s)"
            )
            return done

    def _summary(self, now: float) -> ProgressSummary:
        seconds = round(max(0.0, now - self._started), 3)
        return ProgressSummary(self._items, self._bytes, self._records, seconds)

    def _counts(self, done: ProgressSummary) -> str:
        items = f"{done.items} {self.unit}(s)"
        if self.total_items is not None:
            items = f"{done.items} of {self.total_items} {self.unit}(s)"
        mb = f"{done.bytes / _MB:.1f} MB"
        if self.total_bytes is not None:
            mb = f"{done.bytes / _MB:.1f} of {self.total_bytes / _MB:.1f} MB"
        records = f", {done.records} {self.record_unit}(s)" if done.records else ""
        return f"{items}{records}, {mb}"

    def _line(self, now: float) -> str:
        done = self._summary(now)
        if done.seconds <= 0:
            return f"{self.what}: {self._counts(done)}; {self._eta(done)}"
        rate = f"{done.mb_per_s:.1f} MB/s"
        if done.records:
            rate += f", {done.records_per_s:.0f} {self.record_unit}(s)/s"
        return f"{self.what}: {self._counts(done)}; {rate}; {self._eta(done)}"

    def _eta(self, done: ProgressSummary) -> str:
        if self.total_bytes is not None and done.bytes and done.seconds > 0:
            left = max(0, self.total_bytes - done.bytes) * done.seconds / done.bytes
        elif self.total_items is not None and done.items and done.seconds > 0:
            left = max(0, self.total_items - done.items) * done.seconds / done.items
        elif self.total_items is None and self.total_bytes is None:
            return f"total unknown until the last {self.unit}"
        else:
            return "ETA unknown yet"
        return f"ETA {format_duration(left)}"
