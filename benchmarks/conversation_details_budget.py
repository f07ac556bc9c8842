"""The budget phase of `conversation_details.py`: how much of the rate limit a platform day uses.

The real path (`export_platform_day` + `normalise_day`) against an emulator whose budget is the
real default, 300 requests per 60-s window, on a day sized and paged small (5 conversations a
page) so the run is request-bound and spans at least two full windows. Every API answer the
client gets is recorded with its status and `inin-ratelimit-*` headers, through `ApiClient`'s
`on_response` hook (the resource does not expose it, so the benchmark sets it on the client it
opens). A window begins where `inin-ratelimit-count` falls back; a window is full when work
remained after it (every window but the last). Its share used = its 2xx/3xx answers ÷ the budget
(`inin-ratelimit-allowed`); the 429 share = 429 answers ÷ all answers. The emulator's own
`/admin/stats` counts are reported beside the client's as a cross-check. The emulator helpers
both phases share live here too.
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUDGET = 300  # requests per window: Genesys' default per client-credentials token
WINDOW_S = 60.0
USED_TARGET = 0.90  # share of the budget used in every full window
THROTTLED_TARGET = 0.01  # at most this share of answers are 429s
QUICK_BUDGET, QUICK_WINDOW_S = 50, 3.0  # --quick: the same shape in seconds, not minutes
QUIET = logging.getLogger("benchmarks.conversation_details")  # the flows' progress lines
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def proc_status_mb(field: str, pid: int | str = "self") -> float:
    """A `/proc/<pid>/status` memory field (VmRSS, VmHWM) in MB; 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024 / 10**6  # kB in the file; MB = 10^6 bytes
    except OSError:
        pass
    return 0.0


def start_emulator(state_dir: Path, log_path: Path, **fields: Any) -> Any:
    """Our own emulator on a free port (never a dev emulator that happens to answer on 8765)."""
    from cx_assets.emulator import EmulatorProcess

    log_path.parent.mkdir(parents=True, exist_ok=True)
    emulator = EmulatorProcess(port=0, state_dir=state_dir, **fields)
    emulator.start(log_path=log_path, timeout_s=60)
    time.sleep(0.2)  # start() trusts /admin/health: make sure it is ours that listens
    if emulator._proc is None or emulator._proc.poll() is not None:
        raise RuntimeError(f"our emulator is not running; see {log_path}")
    return emulator


def api_counts(stats: dict[str, Any]) -> dict[str, int]:
    """Bearer-authenticated answers per status (token calls left out: they use no budget)."""
    counts: dict[str, int] = {}
    for path, by_status in stats.get("by_path", {}).items():
        if path.startswith("/api/"):
            for status, n in by_status.items():
                counts[status] = counts.get(status, 0) + int(n)
    return counts


def counts_delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class Timeline:
    """Every API answer the client received: (seconds since start, status, count, allowed)."""

    start: float = field(default_factory=time.monotonic)
    rows: list[tuple[float, int, float | None, float | None]] = field(default_factory=list)

    def __call__(self, response: Any) -> None:
        headers = response.headers
        count = _number(headers.get("inin-ratelimit-count"))
        allowed = _number(headers.get("inin-ratelimit-allowed"))
        self.rows.append((time.monotonic() - self.start, response.status_code, count, allowed))

    def windows(self) -> list[dict[str, Any]]:
        """The answers grouped into rate-limit windows (a new one where the count falls)."""
        found: list[dict[str, Any]] = []
        last_count: float | None = None
        for t, status, count, allowed in self.rows:
            if not found or (count is not None and last_count is not None and count < last_count):
                found.append({"start_s": round(t, 2), "ok": 0, "throttled": 0, "other": 0})
            window = found[-1]
            kind = "ok" if status < 400 else "throttled" if status == 429 else "other"
            window[kind] += 1
            window["end_s"] = round(t, 2)
            window["allowed"] = int(allowed) if allowed is not None else window.get("allowed")
            last_count = count if count is not None else last_count
        return found


@contextmanager
def _observed(factory: Callable[[], Any], timeline: Timeline) -> Iterator[Any]:
    with factory() as client:
        client.api._on_response = timeline  # ApiClient's benchmark hook; see the docstring
        yield client


def measure_budget(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """One request-bound day under the budget; per-window shares and targets."""
    from cx_assets import settings
    from cx_assets.defs.resources import GenesysCloudResource
    from cx_assets.flows.conversations import normalise_day
    from cx_assets.flows.conversations_platform import export_platform_day
    from cx_assets.lake.paths import DataLayout

    budget, window_s = (QUICK_BUDGET, QUICK_WINDOW_S) if args.quick else (BUDGET, WINDOW_S)
    emulator = start_emulator(
        data_dir / "emulator",
        data_dir / "emulator.log",
        details_conversations_per_day=args.budget_conversations,
        rate_limit_per_minute=budget,
        rate_window_s=window_s,
    )
    timeline = Timeline()
    try:
        genesys = GenesysCloudResource(
            api_mode="platform",
            api_url=emulator.url,
            login_url=emulator.url,
            client_id=settings.EMULATOR_CLIENT_ID,
            client_secret=settings.EMULATOR_CLIENT_SECRET,
            poll_initial_s=0.05,
            details_page_size=args.budget_page_size,
        )
        layout, run_id = DataLayout(data_dir / "cx"), f"benchmark-{uuid.uuid4().hex[:12]}"
        t0 = time.perf_counter()
        record, _ = export_platform_day(
            lambda: _observed(genesys.details_client, timeline),
            layout,
            args.day,
            target=genesys.target("conversations"),
            run_id=run_id,
            log=QUIET,
        )
        t1 = time.perf_counter()
        normalise_day(layout, args.day, run_id=run_id, log=QUIET)
        t2 = time.perf_counter()
        served = api_counts(emulator.stats())
    finally:
        emulator.stop()
    windows = timeline.windows()
    for window in windows:
        window["used_share"] = round(window["ok"] / (window["allowed"] or budget), 3)
    full = windows[:-1]
    answers = len(timeline.rows)
    throttled = sum(w["throttled"] for w in windows)
    used = [w["used_share"] for w in full]
    throttled_share = throttled / answers if answers else 0.0
    return {
        "budget_per_window": budget,
        "window_s": window_s,
        "conversations_per_day": args.budget_conversations,
        "page_size": args.budget_page_size,
        "pages": len(record.files),
        "answers": answers,
        "throttled_429": throttled,
        "throttled_share": round(throttled_share, 4),
        "client_stats": record.request_stats,
        "emulator_answers": served,
        "export_s": round(t1 - t0, 2),
        "normalise_s": round(t2 - t1, 2),
        "windows": windows,
        "full_windows": len(full),
        "used_share_full_windows_min": min(used, default=0.0),
        "used_share_full_windows_mean": round(sum(used) / len(used), 3) if used else 0.0,
        "method": "windows split where inin-ratelimit-count falls; full = every window but the "
        "last (work remained after it); used share = 2xx/3xx answers in it / "
        "inin-ratelimit-allowed; 429 share = 429 answers / all API answers (token calls excluded)",
        "meets_used_target": len(full) >= 2 and min(used, default=0.0) >= USED_TARGET,
        "meets_throttled_target": throttled_share <= THROTTLED_TARGET,
        "meets_targets": (
            len(full) >= 2
            and min(used, default=0.0) >= USED_TARGET
            and throttled_share <= THROTTLED_TARGET
        ),
    }
