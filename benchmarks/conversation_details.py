"""Measure platform-mode conversation days end to end and print ONE line of JSON.

The real path the platform assets run, with no Dagster: the emulator in its own process over
loopback, `flows.conversations_platform.export_platform_day` through the resource's details-jobs
client (the job, every result page written to raw with its SHA-256), then
`flows.conversations.normalise_day` (five Parquet tables, registered in the DuckDB catalog).
Each day size runs in a FRESH subprocess, so its CPU time and peak RSS (`getrusage(RUSAGE_SELF)`)
are that size's alone and the client's alone (the emulator is another process).

Beside each, in the same run and on the same emulator: the emulator's own serving rate, a plain
httpx loop fetching every page of a job for the same day and writing nothing (before and after
the end-to-end run; the faster is the one the target is judged by). Then a budget phase
(`conversation_details_budget.py`): a request-bound day under the real 300-per-60-s budget.

    .venv/bin/python benchmarks/conversation_details.py [--quick]
        [--conversations 300000 900000] [--page-size 1000] [--skip-budget]
        [--budget-conversations 4000] [--budget-page-size 5] [--data-dir DIR] [--keep]

MB = 10^6 bytes. Throughput phases run with a budget no run reaches (`THROUGHPUT_BUDGET`), so
they measure bytes, not the rate limit; the budget phase measures the rate limit alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from conversation_details_budget import (
    QUIET,
    api_counts,
    counts_delta,
    measure_budget,
    proc_status_mb,
    start_emulator,
)

# The parent stays light (the serving loop); workers import the real path inside `worker()`.
MB = 10**6
RSS_TARGET_MB = 400
E2E_SHARE_TARGET = 0.5  # end to end >= this share of the emulator's serving rate
THROUGHPUT_BUDGET = 10_000_000  # requests per window in the throughput phases: never reached
JOBS = "/api/v2/analytics/conversations/details/jobs"
OUT = Path(__file__).resolve().parent / "out" / "conversation_details.json"
_CURSOR = re.compile(rb'"cursor"\s*:\s*("(?:[^"\\]|\\.)*"|null)')


def mb_s(nbytes: int, seconds: float) -> float:
    return round(nbytes / MB / seconds, 1) if seconds > 0 else 0.0


# ---------------------------------------------------------------- the emulator alone


def _cursor(content: bytes) -> str | None:
    """The page's cursor, read from its tail (where the emulator puts it) or the whole body."""
    for chunk in (content[-4096:], content):
        match = _CURSOR.search(chunk)
        if match:
            return json.loads(match[1])
    return json.loads(content).get("cursor")


def serve_alone(url: str, day: dt.date, page_size: int) -> dict[str, Any]:
    """One job for `day`, every page fetched with plain httpx and thrown away."""
    import httpx

    from cx_assets import settings

    interval = f"{day}T00:00:00.000Z/{day + dt.timedelta(days=1)}T00:00:00.000Z"
    body = {"interval": interval, "order": "asc", "orderBy": "conversationStart"}
    body["startOfDayIntervalMatching"] = True
    with httpx.Client(base_url=url, timeout=300) as http:
        credentials = (settings.EMULATOR_CLIENT_ID, settings.EMULATOR_CLIENT_SECRET)
        grant = {"grant_type": "client_credentials"}
        token = http.post("/oauth/token", data=grant, auth=credentials)
        http.headers["Authorization"] = f"Bearer {token.raise_for_status().json()['access_token']}"
        start = time.perf_counter()
        job = http.post(JOBS, json=body).raise_for_status().json()["jobId"]
        requests, state = 1, ""
        while state != "FULFILLED":
            time.sleep(0.05 if requests > 1 else 0)
            state = http.get(f"{JOBS}/{job}").raise_for_status().json()["state"]
            requests += 1
            if state in ("FAILED", "CANCELLED", "EXPIRED"):
                raise RuntimeError(f"serving job {job} ended {state}")
        fulfilled = time.perf_counter()
        cursor, pages, nbytes = None, 0, 0
        while True:
            params: dict[str, Any] = {"pageSize": page_size}
            if cursor is not None:
                params["cursor"] = cursor
            content = http.get(f"{JOBS}/{job}/results", params=params).raise_for_status().content
            pages, nbytes, requests = pages + 1, nbytes + len(content), requests + 1
            if (cursor := _cursor(content)) is None:
                break
        end = time.perf_counter()
    seconds, paging_s = round(end - start, 3), round(end - fulfilled, 3)
    summary = {"job_id": job, "bytes": nbytes, "pages": pages, "requests": requests}
    return summary | {"seconds": seconds, "paging_s": paging_s, "mb_s": mb_s(nbytes, seconds)}


# ---------------------------------------------------------------- end to end (fresh process)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # KiB on Linux


def worker(url: str, day: dt.date, page_size: int, data_dir: Path) -> dict[str, Any]:
    """export_platform_day + normalise_day once, as the assets run them; timings in s."""
    from cx_assets import settings
    from cx_assets.defs.resources import GenesysCloudResource
    from cx_assets.flows.conversations import normalise_day
    from cx_assets.flows.conversations_platform import export_platform_day
    from cx_assets.lake.paths import DataLayout

    genesys = GenesysCloudResource(
        api_mode="platform",
        api_url=url,
        login_url=url,
        client_id=settings.EMULATOR_CLIENT_ID,
        client_secret=settings.EMULATOR_CLIENT_SECRET,
        poll_initial_s=0.05,
        details_page_size=page_size,
    )
    layout, run_id = DataLayout(data_dir), f"benchmark-{uuid.uuid4().hex[:12]}"
    baseline_rss, cpu0, t0 = proc_status_mb("VmRSS"), _cpu_s(), time.perf_counter()
    record, _raw_dir = export_platform_day(
        genesys.details_client,
        layout,
        day,
        target=genesys.target("conversations"),
        run_id=run_id,
        log=QUIET,
    )
    cpu1, t1, download_rss = _cpu_s(), time.perf_counter(), _peak_rss_mb()
    normalised = normalise_day(layout, day, run_id=run_id, log=QUIET)
    cpu2, t2 = _cpu_s(), time.perf_counter()
    conversations = sum(f.record_count or 0 for f in record.files)
    if normalised.rows != conversations or normalised.quarantined:
        raise RuntimeError(f"{conversations} served, {normalised.rows} rows, quarantined > 0")
    stats, gb = record.request_stats, record.bytes / 1e9
    register_s = (dt.datetime.now(dt.UTC) - normalised.export.finished_at).total_seconds()
    return {
        "bytes": record.bytes,
        "pages": len(record.files),
        "conversations": conversations,
        "rows": {name: rows for name, (_path, rows) in normalised.tables.items()},
        "parquet_bytes": sum(p.stat().st_size for p, _ in normalised.tables.values()),
        "seconds": round(t2 - t0, 3),
        "mb_s": mb_s(record.bytes, t2 - t0),
        "download_s": round(t1 - t0, 3),
        "download_mb_s": mb_s(record.bytes, t1 - t0),
        "job_wait_s": round((record.completed_at - record.requested_at).total_seconds(), 3),
        "normalise_s": round(t2 - t1 - register_s, 3),
        "normalise_mb_s": mb_s(record.bytes, t2 - t1 - register_s),
        "register_s": round(register_s, 3),
        "requests": int(stats.get("requests", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "retries": int(stats.get("retries", 0)),
        "cpu_s_per_gb": round((cpu2 - cpu0) / gb, 2),
        "cpu_s_per_gb_download": round((cpu1 - cpu0) / gb, 2),
        "cpu_s_per_gb_normalise": round((cpu2 - cpu1) / gb, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "peak_rss_download_mb": round(download_rss, 1),
        "baseline_rss_mb": round(baseline_rss, 1),
    }


def run_worker(url: str, day: dt.date, page_size: int, data_dir: Path) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--worker-url", url, "--day", day.isoformat()]
    argv += ["--page-size", str(page_size), "--data-dir", str(data_dir)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({done.returncode}): {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_size(conversations: int, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """Serving alone, end to end in a fresh process, serving alone again; one emulator."""
    emulator = start_emulator(
        data_dir / "emulator",
        data_dir / "emulator.log",
        details_conversations_per_day=conversations,
        details_job_delay_s=0.0,
        details_max_page_size=max(1000, args.page_size),
        rate_limit_per_minute=THROUGHPUT_BUDGET,
    )
    try:
        counts0 = api_counts(emulator.stats())
        serving = [serve_alone(emulator.url, args.day, args.page_size)]
        counts1 = api_counts(emulator.stats())
        e2e = run_worker(emulator.url, args.day, args.page_size, data_dir / "cx")
        counts2 = api_counts(emulator.stats())
        serving.append(serve_alone(emulator.url, args.day, args.page_size))
        jobs = emulator.stats().get("details_jobs", [])
        emulator_hwm = proc_status_mb("VmHWM", emulator._proc.pid)
    finally:
        emulator.stop()
    best = max(serving, key=lambda s: s["mb_s"])
    served = counts_delta(counts2, counts1)
    e2e |= {"emulator_answers": served, "emulator_429": served.get("429", 0)}
    share = e2e["mb_s"] / best["mb_s"] if best["mb_s"] else 0.0
    return {
        "conversations_per_day": conversations,
        "gb": round(e2e["bytes"] / 1e9, 3),
        "page_size": args.page_size,
        "serving_mb_s": best["mb_s"],
        "serving_pages": best["pages"],
        "serving_requests": best["requests"],
        "serving_runs": serving,
        "serving_answers": counts_delta(counts1, counts0),
        "end_to_end": e2e,
        "end_to_end_share_of_serving": round(share, 3),
        "meets_rss_target": e2e["peak_rss_mb"] <= RSS_TARGET_MB,
        "meets_throughput_target": share >= E2E_SHARE_TARGET,
        "emulator_peak_rss_mb": round(emulator_hwm, 1),
        "emulator_jobs": [{k: j.get(k) for k in ("jobId", "state", "pagesServed")} for j in jobs],
    }


# ---------------------------------------------------------------- driver


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, nargs="+", help="day sizes (300000 ≈ 1 GB)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run (~1 min)")
    parser.add_argument("--page-size", type=int, default=1000, help="details_page_size")
    parser.add_argument("--skip-budget", action="store_true", help="no budget phase")
    parser.add_argument("--budget-conversations", type=int, help="default 4000 (quick: 600)")
    parser.add_argument("--budget-page-size", type=int, default=5)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2024, 1, 1))
    parser.add_argument("--data-dir", type=Path, help="data root (default: a fresh temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir afterwards")
    parser.add_argument("--out", type=Path, default=OUT, help="where the JSON line is written")
    parser.add_argument("--worker-url", help=argparse.SUPPRESS)  # internal: one fresh size run
    args = parser.parse_args(argv)
    args.conversations = args.conversations or ([3000, 9000] if args.quick else [300_000, 900_000])
    if args.budget_conversations is None:
        args.budget_conversations = 600 if args.quick else 4000
    if min(args.conversations) < 1 or args.page_size < 1 or args.budget_page_size < 1:
        parser.error("--conversations and page sizes must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker_url:
        result = worker(args.worker_url, args.day, args.page_size, args.data_dir)
        print(json.dumps(result), flush=True)
        return 0

    made_temp = args.data_dir is None
    root = Path(tempfile.mkdtemp(prefix="cx-details-")) if made_temp else args.data_dir
    root = root.resolve()
    report: dict[str, Any] = {"quick": args.quick, "load_average_start": os.getloadavg()}
    try:
        report["sizes"] = [
            measure_size(n, args, root / f"size-{n}") for n in sorted(args.conversations)
        ]
        if not args.skip_budget:
            report["budget"] = measure_budget(args, root / "budget")
        targets = [s["meets_rss_target"] and s["meets_throughput_target"] for s in report["sizes"]]
        targets += [report["budget"]["meets_targets"]] if "budget" in report else []
        report["all_targets_met"] = all(targets)
        report["load_average_end"] = os.getloadavg()
        report["data_dir"] = str(root) if args.keep else None
        line = json.dumps(report)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(line + "\n")
        print(line, flush=True)
    finally:
        if not args.keep:  # only what this script made, when given a --data-dir
            for path in [root] if made_temp else [*root.glob("size-*"), root / "budget"]:
                shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
