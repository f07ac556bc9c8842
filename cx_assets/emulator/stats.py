"""Request counters for `GET /admin/stats`: what the client under test actually did."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_path: dict[str, Counter[str]] = {}
        self._by_status: Counter[str] = Counter()
        self._events: Counter[str] = Counter()
        self._datatable_batches: dict[str, list[int]] = {}
        self._logs: dict[str, list[Any]] = {}

    def record(self, path: str, status: int) -> None:
        with self._lock:
            self._by_path.setdefault(path, Counter())[str(status)] += 1
            self._by_status[str(status)] += 1

    def count(self, event: str) -> None:
        with self._lock:
            self._events[event] += 1

    def datatable_batch(self, table_id: str, size: int) -> None:
        """The size of a rows POST that reached the route (before validation), in order."""
        with self._lock:
            self._datatable_batches.setdefault(table_id, []).append(size)

    def log(self, name: str, item: Any) -> None:
        """Append a JSON-able item to the list `name` that `/admin/stats` shows, in order.

        The way an API module reports what it saw (requests filed, callbacks delivered) without
        a new method here for each.
        """
        with self._lock:
            self._logs.setdefault(name, []).append(item)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                **{name: list(items) for name, items in self._logs.items()},
                "requests": sum(self._by_status.values()),
                "by_path": {path: dict(c) for path, c in sorted(self._by_path.items())},
                "by_status": dict(self._by_status),
                "exports_created": self._events["exports_created"],
                "events": dict(self._events),
                "datatable_batches": {k: list(v) for k, v in self._datatable_batches.items()},
            }
