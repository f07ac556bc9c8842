"""Measure one day's conversation export end to end and print ONE line of JSON.

The real path, the very steps `cx_assets/defs/conversations/assets.py` runs: the emulator in its
own process over loopback, `flows.conversations.export_day_to_raw` through the resource's export
client (download, verify, publish the raw day), the asset's blocking checksum re-check, then
`flows.conversations.normalise_day` (`normalise_conversations`, publish, `register_export`).
Timed from export creation to the catalog row, with the emulator's file cache warm (a warm-up
export generates the day first, ~10 s per GB, and is not timed).

Beside it, on the same downloaded bytes, the ceilings it is judged by
(`export_ingest_ceilings.py`): sha256 alone, the normaliser alone, and polars' narrow-schema
`scan_ndjson` (MEASURED.md's comparison). The normaliser and polars run in fresh processes, so
each reports its own peak RSS and the end-to-end `peak_rss_mb` is this process's alone (DuckDB's
allocations included).

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
import json
import logging
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from export_ingest_ceilings import MB, mb_s, measure_ceilings, proc_status_mb

# Kept light on purpose: comparison workers are spawned processes that re-import this module,
# and their peak RSS should not include Dagster. Heavy imports live inside the functions.

#: Peak RSS target for any day, 1 GB or 4 GB (`--records 2200000`): memory flat in the day.
RSS_TARGET_MB = 600
#: The flows' progress lines: not printed (this script prints one line of JSON).
QUIET = logging.getLogger("benchmarks.export_ingest")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def _peak_rss_mb() -> float:
    """This process's peak RSS (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


# ---------------------------------------------------------------- the real path


def _resource(url: str, download_concurrency: int) -> Any:
    from cx_assets import settings
    from cx_assets.defs.resources import GenesysCloudResource

    return GenesysCloudResource(
        api_mode="tutorial",  # this benchmark measures the tutorial mode's data exports
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
    from cx_assets.defs.conversations import checks, metadata
    from cx_assets.flows.conversations import export_day_to_raw, normalise_day

    run_id = f"benchmark-{uuid.uuid4().hex[:12]}"
    target = genesys.target("conversations")
    # The flows stamp where the download and the normalising end in wall-clock time (the raw
    # record's `finished_at`, the catalog row's `finished_at`): the splits below read them.
    t0, wall0 = time.perf_counter(), dt.datetime.now(dt.UTC)

    # -- asset 1: genesys_conversation_export, then its blocking check
    exported = export_day_to_raw(
        genesys.export_client, layout, day, target=target, run_id=run_id, log=QUIET
    )
    check = checks.files_match_manifest(exported.raw_dir, exported.record)
    if not check.passed:
        raise RuntimeError(f"files_match_manifest failed: {check.metadata}")
    t_verified, wall_verified = time.perf_counter(), dt.datetime.now(dt.UTC)
    download_s = (exported.record.finished_at - wall0).total_seconds()

    # -- asset 2: genesys_conversations (loads the record from disk, as the asset does)
    extra: dict[str, Any] = {}
    if memory_limit:
        extra["memory_limit"] = memory_limit
    if threads:
        extra["threads"] = threads
    normalised = normalise_day(layout, day, run_id=run_id, log=QUIET, **extra)
    t_registered = time.perf_counter()
    normalise_s = (normalised.export.finished_at - wall_verified).total_seconds()
    record = normalised.record

    # The asset's non-blocking checks and metadata run after registration: reported, not in
    # end_to_end_s.
    parquet_path = normalised.parquet_path
    post = [
        checks.schema_conforms(normalised.tables),
        checks.rows_match_files(record, normalised.rows, normalised.quarantined),
        checks.conversation_id_unique(parquet_path),
    ]
    metadata.conversations_metadata(record, normalised)
    failed = [c.check_name for c in post if not c.passed]
    if failed:
        raise RuntimeError(f"checks failed after registration: {failed}")
    t_post = time.perf_counter()

    stats = record.request_stats
    return {
        "bytes": record.bytes,
        "files": len(record.files),
        "records": sum(f.record_count or 0 for f in record.files),
        "rows": normalised.rows,
        "quarantined": normalised.quarantined,
        "parquet_bytes": parquet_path.stat().st_size,
        "end_to_end_s": t_registered - t0,
        "export_wait_s": (record.completed_at - record.requested_at).total_seconds(),
        "transfer_s": (record.finished_at - record.completed_at).total_seconds(),
        "download_s": download_s,
        "verify_publish_s": t_verified - t0 - download_s,
        "normalise_s": normalise_s,
        "register_s": t_registered - t_verified - normalise_s,
        "post_checks_s": t_post - t_registered,
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)) + record.file_retries,
    }


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
        baseline_rss = proc_status_mb("VmRSS")
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
        "end_to_end_mb_s": mb_s(nbytes, e2e),
        "download_s": round(_median(runs, "download_s"), 3),
        "export_wait_s": round(_median(runs, "export_wait_s"), 3),
        "transfer_s": round(transfer, 3),
        "download_mb_s": mb_s(nbytes, transfer),
        "verify_publish_s": round(_median(runs, "verify_publish_s"), 3),
        "normalise_s": round(_median(runs, "normalise_s"), 3),
        "normalise_mb_s": mb_s(nbytes, _median(runs, "normalise_s")),
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
    ceilings = measure_ceilings(
        raw_files,
        nbytes,
        args.day,
        data_dir / "comparisons",
        repeat=args.repeat,
        memory_limit=args.memory_limit,
        threads=args.threads,
        end_to_end_mb_s=report["end_to_end_mb_s"],
    )
    report.update(ceilings)
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
