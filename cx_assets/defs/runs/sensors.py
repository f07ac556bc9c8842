"""The sensor that runs the dead-run reaper while `cx-assets dev` (the daemon) is up."""

from __future__ import annotations

import os

import dagster as dg

from cx_assets.defs.runs.reaper import reap_dead_runs

#: How often the reaper looks (s); `CX_REAPER_INTERVAL_S` lowers it in tests.
INTERVAL_S = int(os.environ.get("CX_REAPER_INTERVAL_S", "30"))


@dg.sensor(
    name="dead_run_reaper",
    minimum_interval_seconds=INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Fails runs whose worker process died (killed, out of memory, reboot) and frees "
    "the pool slots they held, so later steps are not blocked on the pool forever.",
)
def dead_run_reaper(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    reaped = reap_dead_runs(context.instance)
    for run in reaped:
        context.log.warning(
            f"run {run.run_id} ({run.job_name}, partition {run.partition}): worker pid "
            f"{run.worker_pid} is gone; marked failed and its pool slots freed"
        )
    if reaped:
        return dg.SkipReason(f"failed {len(reaped)} run(s) whose worker died; slots freed")
    return dg.SkipReason("no run with a dead worker")
