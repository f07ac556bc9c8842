"""Launch partition runs through the Dagster instance from the command line.

Each day runs as its own `dagster asset materialize` process against the instance in
DAGSTER_HOME — the same isolation a backfill gets — a few at a time. The results (run status
and asset-check outcomes) are read back from the instance, not from the processes' output.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from cx_assets import settings
from cx_assets.defs.runs.reaper import fail_dead_run, worker_pid

GENESYS_EXPORT_SELECTION = "genesys_conversation_export,genesys_conversations"


def ensure_dagster_home(environ: dict[str, str]) -> Path:
    """DAGSTER_HOME (default ./.dagster_home) holding the project's dagster.yaml."""
    home = Path(environ.get("DAGSTER_HOME") or settings.project_root() / ".dagster_home")
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    source = settings.project_root() / "dagster.yaml"
    target = home / "dagster.yaml"
    if source.exists() and (not target.exists() or "DAGSTER_HOME" not in os.environ):
        shutil.copyfile(source, target)
    environ["DAGSTER_HOME"] = str(home)
    return home


FAILED = "FAILED"


def check_outcome(passed: bool, severity: dg.AssetCheckSeverity) -> str:
    """How a run's check reads: ok, warn (a WARN check that did not pass) or FAILED."""
    if passed:
        return "ok"
    return "warn" if severity == dg.AssetCheckSeverity.WARN else FAILED


def days_between(start: dt.date, end: dt.date) -> list[str]:
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


@dataclass
class PartitionRun:
    """The outcome of one partition's run (or an unpartitioned run) as the instance recorded it."""

    partition: str | None
    selection: str
    started_at: float
    returncode: int
    log_path: Path
    run_id: str | None = None
    status: str = "UNKNOWN"
    #: check -> "ok", "warn" (failed at WARN severity: reported, not an error) or "FAILED".
    checks: dict[str, str] = field(default_factory=dict)
    #: Set when the worker died leaving the run unfinished: what we did about it (one line).
    recovered: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.returncode == 0 and self.status == "SUCCESS" and FAILED not in self.checks.values()
        )


def _run_one(
    partition: str | None, selection: str, env: dict[str, str], log_dir: Path
) -> PartitionRun:
    label = (partition or selection).replace("|", "_").replace(",", "_")
    log_path = log_dir / f"materialize-{label}.log"
    started_at = time.time()
    command = [
        sys.executable,
        "-m",
        "dagster",
        "asset",
        "materialize",
        "-m",
        "cx_assets.definitions",
        "--select",
        selection,
        *(("--partition", partition) if partition else ()),
    ]
    with log_path.open("wb") as log:
        done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    run = PartitionRun(partition, selection, started_at, done.returncode, log_path)
    if done.returncode != 0:
        _recover_dead_worker(run, env)
    return run


def _recover_dead_worker(run: PartitionRun, env: dict[str, str]) -> None:
    """The worker process ended but its run is still unfinished in the instance: it was killed
    (a signal, out of memory) before it could say so. Fail the run and free its pool slots, or
    every later step of its pools waits on slots nobody will give back."""
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        latest = _find_run(instance, run)
        if latest is None or latest.is_finished:
            return
        how = (
            f"killed by {signal.Signals(-run.returncode).name}"
            if run.returncode < 0
            else f"exit code {run.returncode}"
        )
        seen = worker_pid(instance, latest.run_id)
        pid = f" (pid {seen[0]})" if seen else ""
        reason = f"Run worker{pid} died ({how}) before finishing: marked failed by cx-assets"
        fail_dead_run(instance, latest.run_id, reason)
    run.recovered = (
        f"run {latest.run_id} ({run.partition or run.selection}): its worker{pid} died ({how}); "
        "marked it failed and freed its pool slots, re-run the day to land it"
    )
    print(f"cx-assets materialize: {run.recovered}", flush=True)


def _find_run(instance: dg.DagsterInstance, run: PartitionRun) -> dg.DagsterRun | None:
    """The newest run of this selection (and partition) started since we launched it."""
    tags = {"dagster/partition": run.partition} if run.partition else {}
    wanted = {dg.AssetKey.from_user_string(key) for key in run.selection.split(",")}
    since = dt.datetime.fromtimestamp(run.started_at - 1, dt.UTC)
    for candidate in instance.get_runs(
        filters=dg.RunsFilter(tags=tags, created_after=since), limit=50
    ):
        if set(candidate.asset_selection or ()) == wanted:
            return candidate
    return None


def _read_back(instance: dg.DagsterInstance, run: PartitionRun) -> PartitionRun:
    latest = _find_run(instance, run)
    if latest is None:
        return run
    run.run_id = latest.run_id
    run.status = latest.status.value
    for record in instance.all_logs(
        latest.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        evaluation = record.dagster_event.event_specific_data  # type: ignore[union-attr]
        key = f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}"
        run.checks[key] = check_outcome(evaluation.passed, evaluation.severity)
    return run


def materialize_days(
    days: Sequence[str | None],
    *,
    env: dict[str, str],
    parallel: int = 2,
    selection: str = GENESYS_EXPORT_SELECTION,
) -> list[PartitionRun]:
    """Run each partition (None: an unpartitioned run) through the instance, `parallel` at a
    time; return what the instance saw."""
    home = ensure_dagster_home(env)
    # Create the instance's SQLite storage once, here: runs that start together on a fresh
    # home would otherwise race to create (and stamp) the same schema.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
    log_dir = Path(env.get("CX_DATA_DIR") or settings.data_dir()) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, parallel)) as pool:
        runs = list(pool.map(lambda day: _run_one(day, selection, env, log_dir), days))
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        return [_read_back(instance, run) for run in runs]


def tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])
