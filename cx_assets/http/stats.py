"""Request counters shared by every thread of a client; the Dagster layer makes them metadata."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class RequestStatsSnapshot:
    """A consistent copy of the counters at one moment; subtract two to get one run's share."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    token_requests: int = 0
    bytes_received: int = 0
    wait_seconds: float = 0.0

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)

    def __sub__(self, other: RequestStatsSnapshot) -> RequestStatsSnapshot:
        return RequestStatsSnapshot(
            **{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)}
        )


_FIELDS = frozenset(f.name for f in fields(RequestStatsSnapshot))


class RequestStats:
    """Thread-safe counters of what the transport did.

    requests: HTTP requests sent (API calls, 401 re-sends, file downloads; not token calls).
    retries: attempts repeated by the retry policy. throttled: 429 answers. server_errors: 5xx
    answers. connection_errors: connects, reads or timeouts that failed. token_requests: calls to
    the OAuth token endpoint. bytes_received: response bytes as received on the wire.
    wait_seconds: time slept by the transport (rate-limit pacing plus retry backoff), summed
    over threads, so with concurrent callers it can exceed wall-clock time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int | float] = RequestStatsSnapshot().as_dict()

    def add(self, name: str, amount: int | float = 1) -> None:
        if name not in _FIELDS:
            raise KeyError(f"unknown request counter {name!r}")
        with self._lock:
            self._values[name] += amount

    def record_response(self, status: int, nbytes: int) -> None:
        """Count one HTTP answer: its bytes, and whether it was a 429 or a 5xx."""
        with self._lock:
            self._values["bytes_received"] += nbytes
            if status == 429:
                self._values["throttled"] += 1
            elif status >= 500:
                self._values["server_errors"] += 1

    def snapshot(self) -> RequestStatsSnapshot:
        with self._lock:
            return RequestStatsSnapshot(**self._values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, int | float]:
        return self.snapshot().as_dict()

    def __getattr__(self, name: str) -> int | float:
        # Read access like `stats.retries`, without a property per counter.
        if name in _FIELDS:
            with self._lock:
                return self._values[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"RequestStats({self.as_dict()})"
