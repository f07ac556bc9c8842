"""Snapshot a 200,000-row data table and import 100,000 rows against the emulator; print JSON.

The emulator runs in its own process with its default budget (300 requests per 60 s window per
OAuth client). For each phase the script reports requests made (and the minimum possible: rows
divided by page or chunk size), 429s received, wall time, and how much of the rate budget was
used while work remained:

- `budget_used_in_full_windows`: requests sent in each 60 s window that ended before the phase
  did, divided by the budget (the issue's target: at least 0.9). A phase that finishes inside
  its first window never had to wait for the budget; it reports null and `waited_for_budget`
  false.
- `throttled_fraction`: 429 answers / requests (target: at most 0.01).

The import phase starts in a fresh window (the script waits out the snapshot's window), upserts
50,000 changed rows and 50,000 new ones, and reports the chunk sizes the adaptive sizer chose.

    .venv/bin/python benchmarks/datatables.py [--rows 100000] [--keep]

This is the tutorial mode's benchmark; platform mode (export and CSV import jobs, peak RSS at
5,000 and 50,000 rows) is `benchmarks/datatables_platform.py`.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cx_assets.emulator import EmulatorProcess
from cx_assets.genesys.auth import TOKEN_PATH
from cx_assets.genesys.datatables import endpoints
from cx_assets.genesys.datatables.imports import ImportSettings, import_rows
from cx_assets.genesys.datatables.rows import validate_rows
from cx_assets.genesys.datatables.tutorial import DataTablesClient
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient

ACCOUNT_DIRECTORY = "6b1f6a0e-1c2d-4e5f-8a9b-000000000004"
WINDOW_S = 60.0


@dataclass
class Timeline:
    """Every API response of a phase: (seconds since the phase began, status)."""

    started: float = field(default_factory=time.monotonic)
    events: list[tuple[float, int]] = field(default_factory=list)
    reset_s: float = 0.0

    def __call__(self, response: httpx.Response) -> None:
        self.events.append((time.monotonic() - self.started, response.status_code))
        reset = response.headers.get("X-RateLimit-Reset")
        if reset is not None:
            self.reset_s = float(reset)

    def summary(self, budget: int, minimum_requests: int) -> dict[str, Any]:
        wall = time.monotonic() - self.started
        requests = len(self.events)
        throttled = sum(1 for _, status in self.events if status == 429)
        first = self.events[0][0] if self.events else 0.0
        full_windows = int((wall - first) // WINDOW_S)
        usage = [
            sum(1 for t, _ in self.events if first + n * WINDOW_S <= t < first + (n + 1) * WINDOW_S)
            / budget
            for n in range(full_windows)
        ]
        return {
            "requests": requests,
            "minimum_requests": minimum_requests,
            "throttled_429": throttled,
            "throttled_fraction": round(throttled / requests, 4) if requests else 0.0,
            "wall_s": round(wall, 2),
            "waited_for_budget": full_windows > 0,
            "budget_used_in_full_windows": [round(u, 3) for u in usage] or None,
            "requests_per_s": round(requests / wall, 2) if wall else None,
        }


def client(url: str, timeline: Timeline) -> DataTablesClient:
    auth = ClientCredentialsAuth(
        f"{url}{TOKEN_PATH}",
        "emulator-client",
        "emulator-secret",
        scopes=endpoints.DATATABLE_WRITE_SCOPES,
    )
    return DataTablesClient(ApiClient(url, auth=auth, on_response=timeline))


def snapshot_phase(url: str, budget: int) -> tuple[dict[str, Any], Any, float]:
    timeline = Timeline()
    tables = client(url, timeline)
    snap = tables.snapshot(ACCOUNT_DIRECTORY)
    tables.api.close()
    result = timeline.summary(budget, math.ceil(len(snap.rows) / 1000) + 1)
    result.update(rows=len(snap.rows), pages=snap.pages, restarts=snap.restarts)
    return result, snap, timeline.reset_s


def import_rows_for(snap: Any, count: int) -> list[dict[str, Any]]:
    """Half changed existing rows, half new accounts (a realistic upsert mix)."""
    changed = [
        {**row, "balance": round(float(row["balance"] or 0) + 1.25, 2)}
        for row in snap.rows[: count // 2]
    ]
    template = snap.rows[0]
    new = [
        {**template, "account_id": f"BENCH-{n:07d}", "name": f"Bench account {n}"}
        for n in range(count - len(changed))
    ]
    return changed + new


def import_phase(url: str, budget: int, snap: Any, count: int) -> dict[str, Any]:
    rows = import_rows_for(snap, count)
    validation = validate_rows(rows, snap.schema)
    assert not validation.rejected, validation.rejected[:3]
    timeline = Timeline()
    tables = client(url, timeline)
    settings = ImportSettings()
    outcome = import_rows(tables, ACCOUNT_DIRECTORY, validation.valid, settings)
    tables.api.close()
    result = timeline.summary(budget, math.ceil(count / settings.max_chunk) + 1)
    sizes = outcome.chunk_sizes
    result.update(
        rows=count,
        inserted=outcome.inserted,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        batches=outcome.batches,
        chunk_min=min(sizes),
        chunk_max=max(sizes),
        chunk_mean=round(sum(sizes) / len(sizes), 1),
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import")
    parser.add_argument("--keep", action="store_true", help="keep the emulator state dir")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="cx-bench-datatables-"))
    try:
        with EmulatorProcess(state_dir=state, port=0) as emulator:
            budget = emulator.config.rate_limit_per_minute
            snapshot, snap, reset_s = snapshot_phase(emulator.url, budget)
            time.sleep(reset_s + 1.0)  # start the import in a fresh window
            imported = import_phase(emulator.url, budget, snap, args.rows)
            server = emulator.stats()
        print(
            json.dumps(
                {
                    "benchmark": "datatables",
                    "budget_per_minute": budget,
                    "snapshot": snapshot,
                    "import": imported,
                    "emulator_429": server["by_status"].get("429", 0),
                }
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
