"""Contract: while a data table step works inside the client, its progress is logged at a
steady rate from the client's request counters (requests and bytes so far), the thread stops
with the step, and an import's rows are counted as the server takes them (done of total)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from cx_assets.flows import datatables_progress
from cx_assets.flows.datatables_progress import RowCounting, watching
from cx_assets.flows.progress import TransferProgress
from cx_assets.genesys.datatables.tutorial import UpsertResult


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str, /) -> None:
        self.lines.append(msg)

    def warning(self, msg: str, /) -> None:
        self.lines.append(f"WARNING {msg}")


class GrowingStats:
    """Request counters that grow as a client's would while it pages."""

    def __init__(self) -> None:
        self.values = {"requests": 0, "bytes_received": 0}
        self.lock = threading.Lock()

    def page(self) -> None:
        with self.lock:
            self.values["requests"] += 1
            self.values["bytes_received"] += 500_000

    def __call__(self) -> dict[str, Any]:
        with self.lock:
            return dict(self.values)


def test_a_long_step_logs_requests_and_bytes_at_a_steady_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(datatables_progress, "EVERY_S", 0.05)
    log, stats = Lines(), GrowingStats()
    progress = TransferProgress(log, "Snapshot of data table 'Customer Tiers' (t1)", unit="request")
    with watching(progress, stats, count_requests=True):
        for _ in range(6):
            stats.page()
            time.sleep(0.05)
    threads = [t.name for t in threading.enumerate()]
    done = progress.finish()
    assert not any(name.startswith("progress:") for name in threads)  # stopped with the step
    assert len(log.lines) >= 3  # ~0.3 s at one line per 0.05 s, then the closing line
    assert log.lines[0].startswith("Snapshot of data table 'Customer Tiers' (t1): ")
    assert "request(s)" in log.lines[0] and "MB" in log.lines[0]
    assert (done.items, done.bytes) == (6, 3_000_000)  # every request counted, once
    assert log.lines[-1].startswith(
        "Snapshot of data table 'Customer Tiers' (t1): done, 6 request(s), 3.0 MB in"
    )


def test_a_step_shorter_than_a_tick_still_counts_every_request_at_its_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(datatables_progress, "EVERY_S", 60.0)
    log, stats = Lines(), GrowingStats()
    progress = TransferProgress(log, "Snapshot", unit="request")
    with watching(progress, stats, count_requests=False):
        stats.page()
        stats.page()
    done = progress.finish()
    assert (done.items, done.bytes) == (0, 1_000_000)  # an import counts rows, not requests
    assert len(log.lines) <= 2  # no tick came: at most the counts at the end, then "done"
    assert log.lines[-1].startswith("Snapshot: done, 0 request(s), 1.0 MB in")


class Upserts:
    def upsert(self, table_id: str, rows: Any) -> UpsertResult:
        return UpsertResult(inserted=len(rows) - 1, updated=1, unchanged=0, version=None)

    def rate_limit(self) -> tuple[None, None]:
        return None, None


def test_an_import_counts_the_rows_the_server_took_of_its_total() -> None:
    log = Lines()
    progress = TransferProgress(log, "Import customer_tiers_update", unit="row", every_s=0)
    progress.start(items=10)
    counting = RowCounting(Upserts(), progress)  # type: ignore[arg-type]
    counting.upsert("t1", [{}] * 4)
    counting.upsert("t1", [{}] * 6)
    assert log.lines[0].startswith("Import customer_tiers_update: 4 of 10 row(s)")
    assert "ETA" in log.lines[0]
    assert log.lines[1].startswith("Import customer_tiers_update: 10 of 10 row(s)")
