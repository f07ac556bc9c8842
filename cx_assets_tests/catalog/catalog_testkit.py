"""Builders for catalog tests, and the functions child processes run (importable under spawn)."""

from __future__ import annotations

import datetime as dt
import multiprocessing.synchronize as mps
from pathlib import Path

import duckdb

from cx_assets.catalog.connection import connect
from cx_assets.catalog.conversations import ExportRecord, FileRecord, register_export

SOURCE = "genesys"
DATASET = "conversations"
T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)

#: A small typed dataset for view tests: (name, DuckDB type).
COLUMNS = (("interaction_id", "VARCHAR"), ("start_time", "TIMESTAMPTZ"), ("talk_ms", "BIGINT"))
GLOB = "genesys/conversations/date=*/*.parquet"


def export_record(partition_key: str, export_id: str, **overrides: object) -> ExportRecord:
    fields: dict[str, object] = {
        "export_id": export_id,
        "source": SOURCE,
        "dataset": DATASET,
        "partition_key": partition_key,
        "status": "VERIFIED",
        "format": "JSONL",
        "api_base_url": "http://127.0.0.1:8765",
        "is_emulator": True,
        "requested_at": T0,
        "completed_at": T0 + dt.timedelta(seconds=5),
        "started_at": T0,
        "finished_at": T0 + dt.timedelta(seconds=9),
        "file_count": 2,
        "bytes": 300,
        "row_count": 10,
        "quarantined_count": 1,
        "requests": 7,
        "retries": 2,
        "throttled": 1,
        "run_id": "run-1",
    }
    fields.update(overrides)
    return ExportRecord(**fields)  # type: ignore[arg-type]


def file_records(
    partition_key: str, export_id: str, names: tuple[str, ...] = ("part-0.jsonl", "part-1.jsonl")
) -> list[FileRecord]:
    return [
        FileRecord(
            export_id=export_id,
            source=SOURCE,
            dataset=DATASET,
            partition_key=partition_key,
            name=name,
            uri=f"https://files.example.com/{export_id}/{name}?X-Amz-Signature=s3cr3t&sig=abc",
            size=100 + i,
            sha256=f"{i:064x}",
            record_count=5,
            raw_path=f"/data/raw/{name}",
        )
        for i, name in enumerate(names)
    ]


def write_parquet(path: Path, rows: list[tuple[str, str, int]], extra_column: bool = False) -> None:
    """Write rows (interaction_id, start_time ISO, talk_ms) as Parquet with DuckDB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            "CREATE TABLE t (interaction_id VARCHAR, start_time TIMESTAMPTZ, talk_ms BIGINT)"
        )
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        select = "SELECT *, 'x' AS queue_name FROM t" if extra_column else "SELECT * FROM t"
        con.sql(select).write_parquet(str(path))


def register_many(
    catalog_path: str, worker: int, partitions: int, start: mps.Barrier, timeout_s: float
) -> None:
    """Child process: wait for the others, then register `partitions` partitions of its own."""
    start.wait()
    for i in range(partitions):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=worker * partitions + i)
        export_id = f"exp-{worker}-{i}"
        register_export(
            catalog_path,
            export_record(day.isoformat(), export_id),
            file_records(day.isoformat(), export_id),
            actor=f"worker-{worker}",
            timeout_s=timeout_s,
        )


def hold_lock(catalog_path: str, locked: mps.Event, release: mps.Event, hold_s: float) -> None:
    """Child process: hold the catalog read-write until `release` is set or `hold_s` passes."""
    con = connect(catalog_path)
    try:
        locked.set()
        release.wait(hold_s)
    finally:
        con.close()
