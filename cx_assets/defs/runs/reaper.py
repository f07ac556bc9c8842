"""Fail runs whose worker process died, and hand back the pool slots they held.

A SIGKILLed or OOM-killed run worker (or a reboot) leaves its run STARTED forever: the default
run launcher cannot check run worker health, so run monitoring never fails it, and the pool
slots its steps claimed stay taken, blocking every later step of that pool ("Step blocked by
limit for pool ..."). The worker logs its own pid when it starts executing (an engine event
with a `pid` entry and no step); a STARTED run whose pid is no longer a live process on this
machine is reported failed, its slots are freed, and step processes it left behind (their pids
logged as each step worker started) are stopped
(they would keep the partition's lock and an export nobody will register).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg

from cx_assets.defs.runs.processes import process_alive

#: Runs with this tag are skipped (e.g. a run on another machine sharing the instance).
SKIP_TAG = "cx/reaper"


@dataclass(frozen=True)
class DeadRun:
    """A STARTED run whose worker process is gone."""

    run_id: str
    job_name: str
    partition: str | None
    worker_pid: int


#: Events that carry a `pid`: the run worker's (no step) and each step process's.
_PID_EVENTS = {dg.DagsterEventType.ENGINE_EVENT, dg.DagsterEventType.STEP_WORKER_STARTED}


def _pids(instance: dg.DagsterInstance, run_id: str) -> Iterator[tuple[str | None, int, float]]:
    """(step key or None for the run worker, pid, when logged) from the run's events."""
    for record in instance.all_logs(run_id, of_type=_PID_EVENTS):
        event = record.dagster_event
        data = getattr(event, "event_specific_data", None) if event else None
        metadata = getattr(data, "metadata", None) or {}
        pid = metadata.get("pid")
        if pid is None:
            continue
        try:
            value = int(str(getattr(pid, "value", pid)))
        except ValueError:
            continue
        yield record.step_key, value, record.timestamp


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The run worker's pid and when it was logged (the latest run-level pid event)."""
    found = [(pid, at) for step, pid, at in _pids(instance, run_id) if step is None]
    return found[-1] if found else None


def step_pids(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """Each step's process pid, as its worker logged it when it started."""
    return {step: pid for step, pid, _ in _pids(instance, run_id) if step is not None}


def find_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """STARTED runs whose worker logged a pid that is no longer a live process here."""
    dead = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        if run.tags.get(SKIP_TAG) == "skip":
            continue
        seen = worker_pid(instance, run.run_id)
        if seen is None or process_alive(seen[0], seen_at=seen[1]):
            continue
        dead.append(DeadRun(run.run_id, run.job_name, run.tags.get("dagster/partition"), seen[0]))
    return dead


def fail_dead_run(instance: dg.DagsterInstance, run_id: str, reason: str) -> bool:
    """Report the run failed (if still unfinished), free its pool slots, stop its orphaned step
    processes. True if the run was unfinished and is now failed."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return False
    changed = not run.is_finished
    if changed:
        instance.report_run_failed(run, message=reason)
    for step, pid, at in _pids(instance, run_id):
        if step is not None and process_alive(pid, seen_at=at):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)  # the step's own cleanup (staging, lock) runs
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return changed


def reap_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Fail every dead run found and free its slots; return them."""
    reaped = []
    for run in find_dead_runs(instance):
        reason = (
            f"Run worker (pid {run.worker_pid}) is gone (killed, out of memory or a reboot): "
            "marked failed by cx-assets and its pool slots freed. Re-run the partition."
        )
        if fail_dead_run(instance, run.run_id, reason):
            reaped.append(run)
    return reaped
