"""Refused deliveries are counted, not stored: one small file per route, whatever the traffic.

A stranger can post as often as they like, so a refusal (bad signature, stale, replay, too
large, malformed, busy) must cost nothing that grows: no file of its own, no audit entry of its
own. `RefusalLedger` keeps, per route, counts by reason since the ledger began (its `epoch`) and
the last `SAMPLE_SIZE` refusals (time, path, reason, size: never the body, a header, a signature
or a secret), and rewrites one file (`refusals.json`, atomic) at most once per `flush_interval_s`.
The route's sensor reads it (`read_ledger`) and audits what is new since its last summary
(`flows.webhook_refusals`). A restart continues the same counts from the file.

Log lines follow the flushes: at most one warning per interval with the counts since the last
one, so a flood of forged calls is a few lines, not one per call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.lake.atomic import atomic_write

log = logging.getLogger(__name__)

LEDGER_NAME = "refusals.json"
#: How many recent refusals a ledger keeps as examples.
SAMPLE_SIZE = 20
FLUSH_INTERVAL_S = 1.0


class Refused(Exception):
    """A delivery the receiver turns away: `reason` is the code it is counted under, `status`
    and `message` what the sender is told (never a quote of what it sent)."""

    def __init__(
        self,
        reason: str,
        status: int,
        message: str,
        *,
        size: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason, self.status, self.message, self.size = reason, status, message, size
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class LedgerState:
    """What a ledger file holds: `counts` by reason since `started_at` (ledger `epoch`), the
    running `total`, and the recent `sample`, each example numbered by the total at its time
    (`n`) so a reader can tell which ones it has already seen."""

    epoch: str
    started_at: str
    updated_at: str
    counts: dict[str, int]
    sample: list[dict[str, Any]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def read_ledger(path: Path) -> LedgerState | None:
    """The ledger at `path`, or None if there is none (or it cannot be read: it is rebuilt)."""
    try:
        data = json.loads(Path(path).read_text())
        return LedgerState(
            epoch=str(data["epoch"]),
            started_at=str(data["startedAt"]),
            updated_at=str(data["updatedAt"]),
            counts={str(k): int(v) for k, v in data["counts"].items()},
            sample=[dict(item) for item in data["sample"]][-SAMPLE_SIZE:],
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        log.warning("refusal ledger %s is unreadable; starting a new one", path)
        return None


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class RefusalLedger:
    """Counts and a bounded sample of one route's refusals, flushed to `path` now and then.

    Used from the receiver's event loop only (uvicorn runs one). `file_mode` is applied to the
    file (0600 in the privacy area)."""

    def __init__(
        self,
        path: Path,
        route: str,
        *,
        file_mode: int = 0o644,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path, self.route = Path(path), route
        self._mode, self._interval, self._clock = file_mode, flush_interval_s, clock
        state = read_ledger(self.path)
        self._epoch = state.epoch if state else uuid.uuid4().hex
        self._started_at = state.started_at if state else _now_iso()
        self._counts: Counter[str] = Counter(state.counts if state else {})
        self._sample: deque[dict[str, Any]] = deque(state.sample if state else [], SAMPLE_SIZE)
        self._unlogged: Counter[str] = Counter()
        self._last_flush = -float("inf")
        self._pending: asyncio.TimerHandle | None = None

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def record(self, reason: str, size: int | None) -> None:
        """Count one refusal; the file follows within `flush_interval_s`."""
        self._counts[reason] += 1
        self._unlogged[reason] += 1
        total = sum(self._counts.values())
        self._sample.append(
            {"n": total, "at": _now_iso(), "path": self.route, "reason": reason, "size": size}
        )
        self._schedule()

    def _schedule(self) -> None:
        wait = self._last_flush + self._interval - self._clock()
        if wait <= 0:
            self.flush()
            return
        if self._pending is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the server's loop (a script): write now
            self.flush()
            return
        self._pending = loop.call_later(wait, self.flush)

    def flush(self) -> None:
        """Write the ledger now (atomic) and log the refusals since the last flush; a failed
        write is logged and retried with the next refusal (the counts stay in memory)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._last_flush = self._clock()
        if self._unlogged:
            counts = ", ".join(f"{r} {n}" for r, n in sorted(self._unlogged.items()))
            log.warning("webhook deliveries refused at %s: %s", self.route, counts)
            self._unlogged.clear()
        data = {
            "epoch": self._epoch,
            "startedAt": self._started_at,
            "updatedAt": _now_iso(),
            "counts": dict(sorted(self._counts.items())),
            "sample": list(self._sample),
        }
        try:
            with atomic_write(self.path) as fh:
                fh.write(json.dumps(data, sort_keys=True).encode())
            os.chmod(self.path, self._mode)
        except OSError as exc:  # a full disk must not turn refusals into server errors
            log.warning("could not write the refusal ledger %s: %s", self.path, exc)
