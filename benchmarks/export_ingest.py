"""Measure one day's conversation export end to end and print ONE line of JSON.

The real path, step for step as `cx_assets/defs/genesys_exports/assets.py` runs it: the emulator
in its own process over loopback, `export_day` through the resource's export client into a
staging folder, the blocking checksum re-check, publish, then the asset's own
`normalise_and_publish` (`normalise_conversations`, publish) and `register_export`. Timed from
export creation to the catalog row, with the emulator's file cache warm (a warm-up export
generates the day first, ~10 s per GB, and is not timed).

Beside it, on the same downloaded bytes, the ceilings it is judged by: sha256 alone, the
normaliser alone, and polars' narrow-schema `scan_ndjson` (MEASURED.md's comparison). The
normaliser and polars run in fresh processes, so each reports its own peak RSS and the
end-to-end `peak_rss_mb` is this process's alone (DuckDB's allocations included).

    .venv/bin/python benchmarks/export_ingest.py [--records 550000] [--repeat 1]
        [--data-dir DIR] [--keep] [--day 2024-01-01]
        [--memory-limit 1GB] [--threads N] [--download-concurrency 4] [--skip-comparisons]

MB = 10^6 bytes. The target is half the slower of hashing and parsing the same bytes. The
first timed run after the day was generated is slower (the kernel is still writing back the
emulator's and the download's pages): use `--repeat 3` (medians) and a quiet machine; the
ceilings are measured in the same run so their ratios hold even when absolute numbers drift.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

# Kept light on purpose: comparison workers are spawned processes that re-import this module,
# and their peak RSS should not include Dagster. Heavy imports live inside the functions.

MB = 1_000_000
READ_CHUNK = 1024 * 1024
RSS_TARGET_MB = 1000  # peak RSS target for a 1 GB day


def _peak_rss_mb() -> float:
    """This process's peak RSS (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def _proc_status_mb(field: str) -> float:
    """A /proc/self/status memory field (kB) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / MB
    return float("nan")


def _worker_peak_rss_mb() -> float:
    """A spawned worker's own peak: ru_maxrss would include the parent's peak at fork time
    (Linux carries it across fork and exec), VmHWM belongs to this address space only."""
    return _proc_status_mb("VmHWM")


def _mb_s(nbytes: int, seconds: float) -> float:
    return round(nbytes / MB / seconds, 1) if seconds > 0 else float("inf")


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


# ---------------------------------------------------------------- the real path


def _resource(url: str, download_concurrency: int) -> Any:
    from cx_assets import settings
    from cx_assets.defs.resources import GenesysCloudResource

    return GenesysCloudResource(
        api_url=url,
        login_url=url,
        client_id=settings.EMULATOR_CLIENT_ID,
        client_secret=settings.EMULATOR_CLIENT_SECRET,
        download_concurrency=download_concurrency,
    )


def warm_up(genesys: Any, day: dt.date) -> float:
    """Create an export for the day and wait for it: the emulator generates and caches files."""
    from cx_assets.genesys.conversations.models import ExportRequest

    start = time.perf_counter()
    with genesys.export_client() as client:
        job = client.create(ExportRequest.for_day(day))
        client.wait(job.id)
    return time.perf_counter() - start


def ingest_once(
    genesys: Any, layout: Any, day: dt.date, memory_limit: str | None, threads: int | None
) -> dict[str, Any]:
    """One export → verified raw → Parquet → catalog, as the two assets do it; timings in s."""
    from cx_assets.catalog.conversations import register_export
    from cx_assets.defs.conversations import checks, metadata
    from cx_assets.flows.conversations import DATASET, SOURCE, normalise_and_publish
    from cx_assets.genesys.conversations.tutorial import export_day
    from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport
    from cx_assets.lake.atomic import discard_on_exit, replace_dir

    partition_key = day.isoformat()
    run_id = f"benchmark-{uuid.uuid4().hex[:12]}"
    api_url = genesys.base_urls()[0]
    raw_dir = layout.raw_dir(SOURCE, DATASET, partition_key)
    t0 = time.perf_counter()

    # -- asset 1: genesys_conversation_export
    with discard_on_exit(layout.staging_dir()) as staging:
        with genesys.export_client() as client:
            result = export_day(client, day, staging / FILES_DIR)
            stats = client.api.stats.as_dict()
        t_downloaded = time.perf_counter()
        record = VerifiedExport.from_day_export(
            result, api_base_url=api_url, is_emulator=genesys.is_emulator, request_stats=stats
        )
        record.save(staging)
        replace_dir(staging, raw_dir)
    check = checks.files_match_manifest(raw_dir, record)
    if not check.passed:
        raise RuntimeError(f"files_match_manifest failed: {check.metadata}")
    t_verified = time.perf_counter()

    # -- asset 2: genesys_conversations (loads the record from disk, as the asset does)
    record = VerifiedExport.load(raw_dir)
    extra: dict[str, Any] = {}
    if memory_limit:
        extra["memory_limit"] = memory_limit
    if threads:
        extra["threads"] = threads
    published = normalise_and_publish(record, layout, day, **extra)
    normalised = published.result
    t_normalised = time.perf_counter()
    register_export(
        layout.catalog_path,
        metadata.export_record(record, partition_key, normalised, run_id),
        metadata.file_records(record, partition_key, raw_dir / FILES_DIR),
        actor=run_id,
    )
    t_registered = time.perf_counter()

    # The asset's non-blocking checks and metadata run after registration: reported, not in
    # end_to_end_s.
    parquet_path = published.parquet_path
    post = [checks.schema_conforms(parquet_path), checks.rows_match_files(record, normalised)]
    metadata.conversations_metadata(record, normalised, parquet_path)
    failed = [c.check_name for c in post if not c.passed]
    if failed:
        raise RuntimeError(f"checks failed after registration: {failed}")
    t_post = time.perf_counter()

    return {
        "bytes": record.bytes,
        "files": len(record.files),
        "records": sum(f.record_count or 0 for f in record.files),
        "rows": normalised.row_count,
        "quarantined": normalised.quarantined,
        "parquet_bytes": parquet_path.stat().st_size,
        "end_to_end_s": t_registered - t0,
        "export_wait_s": (result.completed_at - result.requested_at).total_seconds(),
        "transfer_s": (result.finished_at - result.completed_at).total_seconds(),
        "download_s": t_downloaded - t0,
        "verify_publish_s": t_verified - t_downloaded,
        "normalise_s": t_normalised - t_verified,
        "register_s": t_registered - t_normalised,
        "post_checks_s": t_post - t_registered,
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)) + record.file_retries,
    }


# ---------------------------------------------------------------- ceilings on the same bytes


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
    from cx_assets.lake.conversations import RawFile, normalise_conversations

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


# ---------------------------------------------------------------- driver


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="data root (default: a fresh temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir afterwards")
    parser.add_argument("--records", type=int, default=550_000, help="records in the day")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs; medians reported")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2024, 1, 1))
    parser.add_argument(
        "--memory-limit", help="normalise_conversations(memory_limit=...); default: the asset's"
    )
    parser.add_argument(
        "--threads", type=int, help="normalise_conversations(threads=...); default: DuckDB's"
    )
    parser.add_argument(
        "--download-concurrency", type=int, default=4, help="GenesysCloudResource's knob"
    )
    parser.add_argument(
        "--skip-comparisons", action="store_true", help="only the end-to-end run(s)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.records < 1:
        parser.error("--repeat and --records must be at least 1")
    return args


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    from cx_assets.emulator import EmulatorProcess
    from cx_assets.lake.paths import DataLayout

    layout = DataLayout(data_dir / "cx")
    emulator = EmulatorProcess(
        port=0,  # a free port: the default 8765 may be a dev emulator, which would answer
        state_dir=data_dir / "emulator",
        records_per_day=args.records,
        queue_delay_s=0,
        run_delay_s=0,
    )
    runs: list[dict[str, Any]] = []
    emulator.start(log_path=data_dir / "emulator.log")  # not `with`: __enter__ starts again
    try:
        # start() trusts /admin/health, which any emulator on the port answers: make sure it is
        # ours that is listening (it exits at once when the port was taken).
        time.sleep(0.2)
        if emulator._proc is None or emulator._proc.poll() is not None:
            raise RuntimeError(f"our emulator is not running; see {data_dir / 'emulator.log'}")
        genesys = _resource(emulator.url, args.download_concurrency)
        warm_up_s = warm_up(genesys, args.day)
        baseline_rss = _proc_status_mb("VmRSS")
        for _ in range(args.repeat):
            runs.append(ingest_once(genesys, layout, args.day, args.memory_limit, args.threads))
        peak_rss = _peak_rss_mb()
    finally:
        emulator.stop()
    # The emulator has been reaped: the children's peak is its peak (no other child yet).
    emulator_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / MB

    last = runs[-1]
    nbytes = last["bytes"]
    e2e = _median(runs, "end_to_end_s")
    transfer = _median(runs, "transfer_s")
    report: dict[str, Any] = {
        "bytes": nbytes,
        "files": last["files"],
        "records": last["records"],
        "rows": last["rows"],
        "quarantined": last["quarantined"],
        "parquet_bytes": last["parquet_bytes"],
        "repeat": args.repeat,
        "end_to_end_s": round(e2e, 3),
        "end_to_end_mb_s": _mb_s(nbytes, e2e),
        "download_s": round(_median(runs, "download_s"), 3),
        "export_wait_s": round(_median(runs, "export_wait_s"), 3),
        "transfer_s": round(transfer, 3),
        "download_mb_s": _mb_s(nbytes, transfer),
        "verify_publish_s": round(_median(runs, "verify_publish_s"), 3),
        "normalise_s": round(_median(runs, "normalise_s"), 3),
        "normalise_mb_s": _mb_s(nbytes, _median(runs, "normalise_s")),
        "register_s": round(_median(runs, "register_s"), 3),
        "post_checks_s": round(_median(runs, "post_checks_s"), 3),
        "end_to_end_runs_s": [round(r["end_to_end_s"], 3) for r in runs],
        "peak_rss_mb": round(peak_rss, 1),
        "meets_rss_target": peak_rss < RSS_TARGET_MB,
        "baseline_rss_mb": round(baseline_rss, 1),
        "emulator_peak_rss_mb": round(emulator_rss, 1),
        "warm_up_s": round(warm_up_s, 3),
        "requests": last["requests"],
        "retries": last["retries"],
        "download_concurrency": args.download_concurrency,
        "memory_limit": args.memory_limit or "default",
        "threads": args.threads or "default",
    }
    if args.skip_comparisons:
        return report

    from cx_assets.flows.conversations import DATASET, SOURCE
    from cx_assets.genesys.conversations.verified import FILES_DIR

    raw_files = sorted(
        (layout.raw_dir(SOURCE, DATASET, args.day.isoformat()) / FILES_DIR).iterdir()
    )
    paths = [str(p) for p in raw_files]
    scratch_root = data_dir / "comparisons"
    sha_s: list[float] = []
    parse: list[dict[str, float]] = []
    polars: list[dict[str, float]] = []
    for i in range(args.repeat):
        sha_s.append(sha256_alone(raw_files))
        scratch = scratch_root / f"normalise-{i}"
        parse.append(
            in_fresh_process(
                normalise_alone,
                paths,
                args.day.isoformat(),
                str(scratch),
                args.memory_limit,
                args.threads,
            )
        )
        shutil.rmtree(scratch, ignore_errors=True)
        scratch = scratch_root / f"polars-{i}"
        scratch.mkdir(parents=True)
        polars.append(in_fresh_process(polars_alone, paths, str(scratch)))
        shutil.rmtree(scratch, ignore_errors=True)
    sha256_mb_s = _mb_s(nbytes, statistics.median(sha_s))
    parse_mb_s = _mb_s(nbytes, statistics.median(p["seconds"] for p in parse))
    target = round(0.5 * min(sha256_mb_s, parse_mb_s), 1)
    report.update(
        {
            "sha256_mb_s": sha256_mb_s,
            "parse_mb_s": parse_mb_s,
            "parse_peak_rss_mb": round(max(p["peak_rss_mb"] for p in parse), 1),
            "polars_parse_mb_s": _mb_s(nbytes, statistics.median(p["seconds"] for p in polars)),
            "polars_peak_rss_mb": round(max(p["peak_rss_mb"] for p in polars), 1),
            "polars_rows": int(polars[-1]["rows"]),
            "target_mb_s": target,
            "meets_target": report["end_to_end_mb_s"] >= target,
        }
    )
    return report


def _clean(data_dir: Path, *, whole: bool) -> None:
    """Remove the temp dir, or only what this script put into a --data-dir it was given."""
    if whole:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for name in ("cx", "emulator", "comparisons"):
        shutil.rmtree(data_dir / name, ignore_errors=True)
    (data_dir / "emulator.log").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    made_temp = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="cx-bench-")) if made_temp else args.data_dir
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args, data_dir)
        report["data_dir"] = str(data_dir) if args.keep else None
        print(json.dumps(report), flush=True)
    finally:
        if not args.keep:
            _clean(data_dir, whole=made_temp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
