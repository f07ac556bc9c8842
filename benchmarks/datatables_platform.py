"""Platform-mode data tables end to end against the emulator; print ONE line of JSON.

For each table size (default 5,000 and 50,000 rows, the row limit raised for the larger) a fresh
emulator process is seeded with a Customer Tiers table of that size, and a FRESH worker process
runs the real steps the assets run, with no Dagster: `snapshot_platform_table` (one export job,
CSV streamed into typed Parquet, registered in the DuckDB catalog), then `run_platform_import`
of 5,000 rows (half change stored rows, half are new) with its two exports and one import job.
The worker's peak RSS (`getrusage(RUSAGE_SELF)`) is its own; the emulator is another process.

    .venv/bin/python benchmarks/datatables_platform.py [--rows 5000 50000] [--import-rows 5000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cx_assets import settings
from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.emulator import EmulatorProcess
from cx_assets.flows.context import Target
from cx_assets.flows.datatables_platform import snapshot_platform_table
from cx_assets.flows.datatables_platform_import import run_platform_import
from cx_assets.genesys.datatables.declarations import ImportDeclaration
from cx_assets.lake.paths import DataLayout

TIERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
QUIET = logging.getLogger("benchmark")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resource(url: str, max_rows: int) -> GenesysCloudResource:
    return GenesysCloudResource(
        api_url=url,
        login_url=url,
        client_id=settings.EMULATOR_CLIENT_ID,
        client_secret=settings.EMULATOR_CLIENT_SECRET,
        poll_initial_s=0.05,
        poll_max_s=0.5,
        datatable_max_rows=max_rows,
    )


def _source(path: Path, table_rows: int, count: int) -> Path:
    """`count` rows: the first half change stored rows' tier, the rest are new keys."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["key", "tier", "credit_limit", "vip"])
        for i in range(count):
            n = i + 1 if i < count // 2 else table_rows + i + 1
            out.writerow([f"C-{n:06d}", "platinum", 1000 + i, "true"])
    return path


def worker(url: str, table_rows: int, import_rows: int, data_dir: Path) -> dict[str, Any]:
    layout = DataLayout(data_dir)
    genesys = _resource(url, max_rows=table_rows + import_rows)
    target = Target("the emulator", url, True)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    baseline = _peak_rss_mb()
    t0 = time.perf_counter()
    snap = snapshot_platform_table(
        genesys.datatables_platform_client, layout, TIERS, today,
        run_id="bench-snapshot", target=target, log=QUIET,
    )  # fmt: skip
    t1 = time.perf_counter()
    snapshot_rss = _peak_rss_mb()
    declaration = ImportDeclaration(
        name="bench_import",
        table_id=TIERS,
        source=_source(data_dir / "bench_import.csv", table_rows, import_rows),
    )
    run = run_platform_import(
        declaration, genesys.datatables_platform_client, layout,
        run_id="bench-import", target=target, log=QUIET,
    )  # fmt: skip
    t2 = time.perf_counter()
    if snap.written.rows != table_rows or not run.verification.ok:
        raise RuntimeError(f"snapshot {snap.written.rows} rows, import verified {run.verification}")
    return {
        "table_rows": table_rows,
        "snapshot": {
            "rows": snap.written.rows,
            "seconds": round(t1 - t0, 3),
            "requests": int(snap.stats.get("requests", 0)),
            "parquet_bytes": snap.written.bytes,
            "csv_bytes": snap.details["export_csv_bytes"],
            "peak_rss_mb": round(snapshot_rss, 1),
        },
        "import": {
            "rows": import_rows,
            "inserted": run.record.inserted,
            "updated": run.record.updated,
            "quarantined": run.record.quarantined,
            "verified": run.verification.ok,
            "seconds": round(t2 - t1, 3),
            "requests": int(run.stats.get("requests", 0)),
        },
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def measure(table_rows: int, import_rows: int, root: Path) -> dict[str, Any]:
    data_dir = root / f"rows-{table_rows}"
    emulator = EmulatorProcess(
        state_dir=data_dir / "emulator",
        datatable_seed_rows={TIERS: table_rows},
        datatable_max_rows=table_rows + import_rows,
        datatable_job_delay_s=0.0,
    ).start(timeout_s=60, log_path=root / "emulator.log")
    try:
        argv = [sys.executable, __file__, "--worker-url", emulator.url, "--rows", str(table_rows)]
        argv += ["--import-rows", str(import_rows), "--data-dir", str(data_dir)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    finally:
        emulator.stop()
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({done.returncode}): {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--import-rows", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker-url", help=argparse.SUPPRESS)  # internal: one fresh size run
    args = parser.parse_args()
    if args.worker_url:
        print(json.dumps(worker(args.worker_url, args.rows[0], args.import_rows, args.data_dir)))
        return 0
    root = Path(tempfile.mkdtemp(prefix="cx-datatables-bench-"))
    try:
        sizes = [measure(rows, args.import_rows, root) for rows in args.rows]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rss = [s["peak_rss_mb"] for s in sizes]
    print(
        json.dumps({"mode": "platform", "sizes": sizes, "peak_rss_growth_mb": max(rss) - min(rss)})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
