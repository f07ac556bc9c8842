"""The ceilings a day's end-to-end ingest is judged by, measured on the same downloaded bytes.

sha256 alone, our normaliser alone and polars' narrow-schema `scan_ndjson` (MEASURED.md's
comparison), split from `export_ingest.py` so that script stays about the real path. The
normaliser and polars run in fresh (spawned) processes that import this module, so each reports
its own peak RSS: keep its imports light (heavy ones live inside the functions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import shutil
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

MB = 1_000_000
READ_CHUNK = 1024 * 1024


def proc_status_mb(field: str) -> float:
    """A /proc/self/status memory field (kB) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / MB
    return float("nan")


def _worker_peak_rss_mb() -> float:
    """A spawned worker's own peak: ru_maxrss would include the parent's peak at fork time
    (Linux carries it across fork and exec), VmHWM belongs to this address space only."""
    return proc_status_mb("VmHWM")


def mb_s(nbytes: int, seconds: float) -> float:
    return round(nbytes / MB / seconds, 1) if seconds > 0 else float("inf")


def sha256_alone(paths: list[Path]) -> float:
    """Seconds to hash every file with hashlib.sha256, 1 MiB reads."""
    buffer = bytearray(READ_CHUNK)
    view = memoryview(buffer)
    start = time.perf_counter()
    for path in paths:
        digest = hashlib.sha256()
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buffer):
                digest.update(view[:n])
        digest.hexdigest()
    return time.perf_counter() - start


def normalise_alone(
    paths: list[str], day: str, scratch: str, memory_limit: str | None, threads: int | None
) -> dict[str, float]:
    """Worker (fresh process): our normaliser on the files into a throwaway Parquet file."""
    from cx_assets.lake.conversations import normalise_conversations
    from cx_assets.lake.conversations_schema import RawFile

    extra: dict[str, Any] = {}
    if memory_limit:
        extra["memory_limit"] = memory_limit
    if threads:
        extra["threads"] = threads
    out = Path(scratch)
    files = [RawFile(path=Path(p), format="jsonl", name=Path(p).name) for p in paths]
    start = time.perf_counter()
    result = normalise_conversations(
        files,
        day=dt.date.fromisoformat(day),
        export_id="benchmark",
        out_file=out / "out" / "part-0.parquet",
        quarantine_file=out / "quarantine" / "quarantine.jsonl",
        **extra,
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": result.row_count, "peak_rss_mb": _worker_peak_rss_mb()}


def polars_alone(paths: list[str], scratch: str) -> dict[str, float]:
    """Worker (fresh process): polars scan_ndjson with a narrow explicit schema → sink_parquet.

    The same fields the normaliser reads, flattened to comparable columns.
    """
    import polars as pl

    schema = {
        "interactionId": pl.String,
        "type": pl.String,
        "startTimestamp": pl.String,
        "endTimestamp": pl.String,
        "channel": pl.Struct({"type": pl.String}),
        "queue": pl.Struct({"id": pl.String, "name": pl.String}),
        "wrapUp": pl.Struct({"code": pl.String, "name": pl.String}),
        "durations": pl.Struct({"talkMs": pl.Int64, "holdMs": pl.Int64, "acwMs": pl.Int64}),
        "participants": pl.List(pl.Struct({"purpose": pl.String, "userId": pl.String})),
    }
    ts = "%Y-%m-%dT%H:%M:%S%.fZ"
    out = Path(scratch) / "polars.parquet"
    start = time.perf_counter()
    frame = pl.scan_ndjson([Path(p) for p in paths], schema=schema).select(
        pl.col("interactionId").alias("interaction_id"),
        pl.col("type"),
        pl.col("channel").struct.field("type").alias("channel"),
        pl.col("startTimestamp").str.to_datetime(ts, time_zone="UTC").alias("start_time"),
        pl.col("endTimestamp").str.to_datetime(ts, time_zone="UTC", strict=False).alias("end_time"),
        pl.col("queue").struct.field("id").alias("queue_id"),
        pl.col("queue").struct.field("name").alias("queue_name"),
        pl.col("wrapUp").struct.field("code").alias("wrap_up_code"),
        pl.col("wrapUp").struct.field("name").alias("wrap_up_name"),
        pl.col("durations").struct.field("talkMs").alias("talk_ms"),
        pl.col("durations").struct.field("holdMs").alias("hold_ms"),
        pl.col("durations").struct.field("acwMs").alias("acw_ms"),
        pl.col("participants").list.len().alias("participant_count"),
        pl.col("participants")
        .list.eval(
            pl.element()
            .filter(pl.element().struct.field("purpose") == "agent")
            .struct.field("userId")
        )
        .alias("agent_ids"),
    )
    frame.sink_parquet(out)
    seconds = time.perf_counter() - start
    rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": _worker_peak_rss_mb()}


def in_fresh_process(fn: Callable[..., dict[str, float]], *args: Any) -> dict[str, float]:
    """Run `fn` in a spawned process so its peak RSS is its own."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def measure_ceilings(
    raw_files: list[Path],
    nbytes: int,
    day: dt.date,
    scratch_root: Path,
    *,
    repeat: int,
    memory_limit: str | None,
    threads: int | None,
    end_to_end_mb_s: float,
) -> dict[str, Any]:
    """Each ceiling `repeat` times (medians), and whether the end-to-end rate meets the target:
    half the slower of hashing and parsing the same bytes."""
    paths = [str(p) for p in raw_files]
    sha_s: list[float] = []
    parse: list[dict[str, float]] = []
    polars: list[dict[str, float]] = []
    for i in range(repeat):
        sha_s.append(sha256_alone(raw_files))
        scratch = scratch_root / f"normalise-{i}"
        parse.append(
            in_fresh_process(
                normalise_alone,
                paths,
                day.isoformat(),
                str(scratch),
                memory_limit,
                threads,
            )
        )
        shutil.rmtree(scratch, ignore_errors=True)
        scratch = scratch_root / f"polars-{i}"
        scratch.mkdir(parents=True)
        polars.append(in_fresh_process(polars_alone, paths, str(scratch)))
        shutil.rmtree(scratch, ignore_errors=True)
    sha256_mb_s = mb_s(nbytes, statistics.median(sha_s))
    parse_mb_s = mb_s(nbytes, statistics.median(p["seconds"] for p in parse))
    target = round(0.5 * min(sha256_mb_s, parse_mb_s), 1)
    return {
        "sha256_mb_s": sha256_mb_s,
        "parse_mb_s": parse_mb_s,
        "parse_peak_rss_mb": round(max(p["peak_rss_mb"] for p in parse), 1),
        "polars_parse_mb_s": mb_s(nbytes, statistics.median(p["seconds"] for p in polars)),
        "polars_peak_rss_mb": round(max(p["peak_rss_mb"] for p in polars), 1),
        "polars_rows": int(polars[-1]["rows"]),
        "target_mb_s": target,
        "meets_target": end_to_end_mb_s >= target,
    }
