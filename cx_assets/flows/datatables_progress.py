"""Progress of a data table snapshot or import while the client works, at a steady rate.

A snapshot's pages, an export job's polls and its download all happen inside the client, so
the flow cannot count them one by one; what it can see while they run is the client's request
counters (`RequestStats`, thread-safe). `watching` feeds their growth into a `TransferProgress`
(`flows/progress.py`) from a daemon thread every `EVERY_S` seconds, so a long snapshot or an
export job that takes minutes logs where it stands even between pages. An import knows its
total, so it also counts the rows the server has taken (`RowCounting`) and the lines carry an
ETA.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from cx_assets.flows.progress import DEFAULT_EVERY_S, TransferProgress
from cx_assets.genesys.datatables.tutorial import DataTablesClient, UpsertResult
from cx_assets.http.pacing import RateLimitWindow

#: Seconds between two progress lines of a data table step (read when the step starts).
EVERY_S = DEFAULT_EVERY_S

Stats = Callable[[], Mapping[str, Any]]


@contextmanager
def watching(
    progress: TransferProgress, stats: Stats, *, count_requests: bool
) -> Iterator[TransferProgress]:
    """Feed the growth of `stats` (requests when `count_requests`, bytes received always) into
    `progress` every `EVERY_S` seconds until the block ends; the thread never outlives it."""
    every_s = EVERY_S
    progress.every_s = every_s
    stop = threading.Event()
    seen = dict(stats())

    def feed() -> None:
        now = dict(stats())
        requests = int(now.get("requests", 0)) - int(seen.get("requests", 0))
        received = int(now.get("bytes_received", 0)) - int(seen.get("bytes_received", 0))
        seen.update(now)
        progress.advance(bytes=received, items=requests if count_requests else 0)

    def tick() -> None:
        while not stop.wait(every_s):
            feed()

    thread = threading.Thread(target=tick, name=f"progress: {progress.what}", daemon=True)
    thread.start()
    try:
        yield progress
    finally:
        stop.set()
        thread.join()
        feed()  # what came in since the last tick counts in the closing line


class RowCounting:
    """A tutorial data tables client whose upserts count the rows the server took (inserted,
    updated or unchanged) into `progress`; everything else is the client's own."""

    def __init__(self, client: DataTablesClient, progress: TransferProgress) -> None:
        self._client, self._progress = client, progress

    def upsert(self, table_id: str, rows: Sequence[Mapping[str, Any]]) -> UpsertResult:
        result = self._client.upsert(table_id, rows)
        self._progress.advance(bytes=0, items=result.inserted + result.updated + result.unchanged)
        return result

    def rate_limit(self) -> tuple[RateLimitWindow | None, int | None]:
        return self._client.rate_limit()
