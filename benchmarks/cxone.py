"""CXone days end to end against the emulator, in both API modes; print ONE line of JSON.

For each mode and range (default: platform at 10,000 contacts a day and tutorial at 1,000
records a day, each for 7 and 90 days) a fresh emulator process serves the data and a FRESH
worker process runs the steps the asset runs, with no Dagster: platform mode discovers, takes an
access-key token and pulls `contacts/completed` day by day; tutorial mode runs the 90-day export
job. Every response goes to disk and each day is built from disk, so the worker's peak RSS
(`getrusage(RUSAGE_SELF)`; the emulator is another process) must not grow with the range: the
issue's target is a 90-day run within 20 % of a 7-day run.

    .venv/bin/python benchmarks/cxone.py [--days 7 90] [--per-day 10000] [--tutorial-per-day 1000]
"""

from __future__ import annotations

import argparse
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

from cx_assets.cxone.ranges import split_days
from cx_assets.defs.cxone.environment import emulator_platform, emulator_tutorial
from cx_assets.emulator import EmulatorProcess
from cx_assets.flows import cxone_platform, cxone_tutorial
from cx_assets.lake.paths import DataLayout

FIRST = dt.date(2024, 1, 1)
QUIET = logging.getLogger("benchmark")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(mode: str, url: str, days: int, data_dir: Path) -> dict[str, Any]:
    layout = DataLayout(data_dir)
    wanted = [FIRST + dt.timedelta(days=i) for i in range(days)]
    baseline = _peak_rss_mb()
    t0 = time.perf_counter()
    if mode == "platform":
        cxone = emulator_platform(f"{url}/cxone-platform")
        with cxone.platform_connection() as connection:
            landed = cxone_platform.land_days(
                connection.contacts, wanted, layout, run_id="bench", log=QUIET
            )
            stats = connection.api.stats.snapshot().as_dict()
    else:
        cxone = emulator_tutorial(f"{url}/cxone", poll_initial_s=0.05, poll_max_s=0.5)
        with cxone.export_client() as client:
            landed = cxone_tutorial.land_exports(
                client, split_days(wanted), layout, run_id="bench", log=QUIET
            )
            stats = client.api.stats.snapshot().as_dict()
    seconds = time.perf_counter() - t0
    rows = sum(d.built.written.rows for d in landed)
    return {
        "mode": mode,
        "days": days,
        "rows": rows,
        "responses": sum({d.read.read_id: d.read.pages for d in landed}.values()),
        "requests": int(stats.get("requests", 0)),
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds) if seconds else None,
        "parquet_bytes": sum(d.built.written.bytes for d in landed),
        "min_integrity": round(min(d.alignment.integrity_rate for d in landed), 4),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def measure(mode: str, days: int, per_day: int, root: Path) -> dict[str, Any]:
    data_dir = root / f"{mode}-{days}"
    emulator = EmulatorProcess(
        port=0,  # a free port: never the demo's 8765
        state_dir=data_dir / "emulator",
        cxone_contacts_per_day=per_day,
        cxone_records_per_day=per_day,
        queue_delay_s=0.0,
        run_delay_s=0.05,
        cxone_rate_limit_per_minute=100_000,
    ).start(timeout_s=60, log_path=root / "emulator.log")
    try:
        argv = [sys.executable, __file__, "--worker", mode, emulator.url, str(data_dir)]
        argv += ["--days", str(days)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    finally:
        emulator.stop()
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({done.returncode}): {done.stderr[-3000:]}")
    return {"per_day": per_day, **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[7, 90])
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--tutorial-per-day", type=int, default=1_000)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)  # internal: mode url dir
    args = parser.parse_args()
    if args.worker:
        mode, url, data_dir = args.worker
        print(json.dumps(worker(mode, url, args.days[0], Path(data_dir))))
        return 0
    root = Path(tempfile.mkdtemp(prefix="cx-cxone-bench-"))
    report: dict[str, Any] = {}
    try:
        for mode, per_day in (("platform", args.per_day), ("tutorial", args.tutorial_per_day)):
            runs = [measure(mode, days, per_day, root) for days in args.days]
            rss = [r["peak_rss_mb"] for r in runs]
            report[mode] = {
                "runs": runs,
                "rss_longest_over_shortest": round(rss[-1] / rss[0], 3),
                "within_20_percent": rss[-1] <= 1.2 * rss[0],
            }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
