"""Privacy requests driven the way the daemon would: sensors evaluated with a real context on
the test's instance, and every run request they make executed in-process with its tags (the
claim), as the run launcher would."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import dagster as dg

from cx_assets.catalog import privacy as cat
from cx_assets.defs.privacy import ASSETS, JOBS
from cx_assets.defs.privacy.ledger import DagsterRunLedger
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.privacy.sensors import privacy_requests_sensor
from cx_assets.flows.privacy import PollPolicy, TickOutcome, run_tracking_tick
from cx_assets_tests.e2e.pipeline_testkit import Pipeline

NOW_POLL = PollPolicy(initial_s=0.0)
SUBMIT_JOB, DOWNLOAD_JOB = "privacy_submit_job", "privacy_download_job"


def execute(
    pipeline: Pipeline, job: str, request: dg.RunRequest, **genesys: Any
) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(assets=ASSETS, jobs=JOBS, resources=pipeline.resources(**genesys))
    return defs.resolve_job_def(job).execute_in_process(
        instance=pipeline.instance,
        partition_key=request.partition_key,
        tags=dict(request.tags),
        raise_on_error=False,
    )


def requests_tick(pipeline: Pipeline, **genesys: Any) -> dg.SensorResult | dg.SkipReason:
    """One tick of the requests sensor; the partitions it asks for are added."""
    context = dg.build_sensor_context(
        instance=pipeline.instance, resources=pipeline.resources(**genesys)
    )
    result = privacy_requests_sensor(context)
    if isinstance(result, dg.SensorResult):
        for added in result.dynamic_partitions_requests or []:
            pipeline.instance.add_dynamic_partitions(
                privacy_requests.name or "", added.partition_keys
            )
    return result


def submit_runs(pipeline: Pipeline, **genesys: Any) -> list[dg.ExecuteInProcessResult]:
    """A requests tick and the submit runs it requested, executed."""
    result = requests_tick(pipeline, **genesys)
    if not isinstance(result, dg.SensorResult):
        return []
    return [execute(pipeline, SUBMIT_JOB, r, **genesys) for r in result.run_requests or []]


def tracking_tick(
    pipeline: Pipeline,
    policy: PollPolicy = NOW_POLL,
    now: dt.datetime | None = None,
    **genesys: Any,
) -> TickOutcome:
    resources = pipeline.resources(**genesys)
    ledger = DagsterRunLedger(pipeline.instance)
    return run_tracking_tick(resources["genesys"], resources["catalog"].layout, ledger, policy, now)


def launch_downloads(
    pipeline: Pipeline, outcome: TickOutcome, **genesys: Any
) -> list[dg.ExecuteInProcessResult]:
    return [
        execute(
            pipeline,
            DOWNLOAD_JOB,
            dg.RunRequest(
                partition_key=launch.partition_key,
                run_key=launch.run_key,
                tags={"cx-assets/privacy-claim": launch.claim},
            ),
            **genesys,
        )
        for launch in outcome.launches
    ]


def tick_until_download(
    pipeline: Pipeline, key: str, *, policy: PollPolicy = NOW_POLL, **genesys: Any
) -> list[TickOutcome]:
    """Tracking ticks until one requests `key`'s download (not executed)."""
    ticks = []
    for _ in range(200):
        ticks.append(tracking_tick(pipeline, policy, **genesys))
        if key in ticks[-1].downloads:
            return ticks
        time.sleep(0.05)
    raise AssertionError(f"{key} never completed: {ticks[-1]}")


def deliver(pipeline: Pipeline, key: str, **genesys: Any) -> cat.PrivacyRow:
    """Submit (if needed), track and download `key` until it is DELIVERED (or gives up)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        submit_runs(pipeline, **genesys)
        launch_downloads(pipeline, tracking_tick(pipeline, **genesys), **genesys)
        row = cat.request_row(pipeline.catalog_path, key)
        if row is not None and row.status in ("DELIVERED", "FAILED", *cat.GAVE_UP_STATES):
            return row
        time.sleep(0.05)
    raise AssertionError(f"{key} was not delivered: {cat.request_row(pipeline.catalog_path, key)}")
