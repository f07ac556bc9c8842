"""Contract: parallel runs (separate processes) can all write the catalog: each open waits out
another process's lock, the audit chain stays linear, and a lock held past the timeout fails
with an error naming the catalog file."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import duckdb
import pytest

from cx_assets.catalog import CatalogLockTimeout, audit_chain, connect, query, register_export
from cx_assets_tests.catalog.catalog_testkit import (
    export_record,
    file_records,
    hold_lock,
    register_many,
)

SPAWN = mp.get_context("spawn")  # what Dagster's multiprocess executor uses; no inherited state
WORKERS = 4
PARTITIONS_EACH = 3
JOIN_TIMEOUT_S = 60


def _join(processes: list[mp.process.BaseProcess]) -> list[int | None]:
    for p in processes:
        p.join(JOIN_TIMEOUT_S)
        if p.is_alive():
            p.kill()
    return [p.exitcode for p in processes]


def test_parallel_processes_all_register(catalog_path: Path) -> None:
    start = SPAWN.Barrier(WORKERS)
    workers = [
        SPAWN.Process(
            target=register_many, args=(str(catalog_path), w, PARTITIONS_EACH, start, 30.0)
        )
        for w in range(WORKERS)
    ]
    for w in workers:
        w.start()

    assert _join(workers) == [0] * WORKERS
    total = WORKERS * PARTITIONS_EACH
    assert query(catalog_path, "SELECT count(DISTINCT partition_key) FROM exports").rows == [
        (total,)
    ]
    assert query(catalog_path, "SELECT count(*) FROM export_files").rows == [(2 * total,)]
    actors = query(catalog_path, "SELECT DISTINCT actor FROM audit_log ORDER BY 1").rows
    assert actors == [(f"worker-{w}",) for w in range(WORKERS)]
    report = audit_chain(catalog_path)
    assert (report.ok, report.entries) == (True, total)


def _start_holder(catalog_path: Path, hold_s: float) -> tuple[mp.process.BaseProcess, object]:
    locked, release = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=hold_lock, args=(str(catalog_path), locked, release, hold_s))
    holder.start()
    assert locked.wait(JOIN_TIMEOUT_S), "lock holder did not start"
    return holder, release


def test_lock_held_briefly_is_waited_out(catalog_path: Path) -> None:
    holder, _ = _start_holder(catalog_path, hold_s=2.0)
    try:
        register_export(
            catalog_path,
            export_record("2024-03-01", "e1"),
            file_records("2024-03-01", "e1"),
            actor="waiter",
            timeout_s=60.0,
        )
    finally:
        assert _join([holder]) == [0]

    assert query(catalog_path, "SELECT export_id FROM exports").rows == [("e1",)]


def test_lock_held_past_timeout_fails_naming_the_file(catalog_path: Path) -> None:
    holder, release = _start_holder(catalog_path, hold_s=JOIN_TIMEOUT_S)
    try:
        with pytest.raises(CatalogLockTimeout) as caught:
            connect(catalog_path, read_only=True, timeout_s=0.5)
    finally:
        release.set()  # type: ignore[attr-defined]
        _join([holder])

    message = str(caught.value)
    assert f"catalog {catalog_path} stayed locked for 0.5 s" in message
    assert "Could not set lock" in message


def test_a_file_that_is_not_a_catalog_fails_at_once_naming_it(catalog_path: Path) -> None:
    """Only a file still being created is waited for; an old invalid file is an error now."""
    catalog_path.write_bytes(b"not a database" * 100)
    old = time.time() - 3600
    os.utime(catalog_path, (old, old))
    started = time.monotonic()
    with pytest.raises(duckdb.IOException, match="not a valid DuckDB database file"):
        connect(catalog_path, timeout_s=30)
    assert time.monotonic() - started < 5
