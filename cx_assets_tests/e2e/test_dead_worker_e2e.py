"""Contract: a run whose worker is SIGKILLed mid-step (out of memory, a reboot) does not block the
next run of its day. `cx-assets materialize` sees its child die while the run is still STARTED,
marks the run failed, frees its pool slot and says so in one line; the dead-run reaper sensor
does the same for a worker nobody was waiting on. The next run of the same day is not blocked on
the pool (limit 1 here), lands the day, and removes the staging folder the killed attempt left.

The worker is killed while the emulator holds the export's create request (`hang`), so the step
is truly mid-flight: its pool slot claimed, its staging folder made.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from cx_assets import settings
from cx_assets.catalog.queries import query
from cx_assets.defs.runs.reaper import step_pids, worker_pid
from cx_assets.defs.runs.sensors import dead_run_reaper
from cx_assets.emulator import EmulatorServer
from cx_assets_tests.e2e.pipeline_testkit import FAST_EMULATOR

pytestmark = pytest.mark.integration

DAY = "2024-06-03"
POOL = "genesys_analytics_jobs"
EXPORT_STEP = "genesys_conversation_export"
HANG = "hang:count=1,delay_s=20,path_prefix=/api/v2/dataexports"


#: Every process a test starts, stopped at teardown whatever the outcome.
_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[EmulatorServer, dict[str, str]]]:
    home = tmp_path / "home"
    home.mkdir()
    config = (settings.project_root() / "dagster.yaml").read_text()
    # One slot per pool: a slot a dead run kept would block the next run outright.
    (home / "dagster.yaml").write_text(config.replace("default_limit: 2", "default_limit: 1"))
    with EmulatorServer(state_dir=tmp_path / "emu", **FAST_EMULATOR) as emulator:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GENESYS_")},
            "GENESYS_API_URL": emulator.url,
            "GENESYS_API_MODE": "tutorial",
            "CX_DATA_DIR": str(tmp_path / "data"),
            "DAGSTER_HOME": str(home),
        }
        try:
            yield emulator, env
        finally:
            while _STARTED:
                process = _STARTED.pop()
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)


def _instance(env: dict[str, str]) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def _kill_mid_step(env: dict[str, str], emulator: EmulatorServer, deadline_s: float = 45) -> str:
    """Wait until the export step is held by the emulator, then SIGKILL the run worker and the
    step's own process (as the OOM killer or a reboot would); the run's id."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if emulator.admin.faults()["fired"].get("hang"):
            with _instance(env) as instance:
                [run] = instance.get_runs(limit=1)
                worker = worker_pid(instance, run.run_id)
                step = step_pids(instance, run.run_id).get(EXPORT_STEP)
            if worker is not None and step is not None:
                for pid in (worker[0], step):
                    os.kill(pid, signal.SIGKILL)
                return run.run_id
        time.sleep(0.2)
    raise AssertionError("the export step never reached the held request")


def _claimed(env: dict[str, str]) -> set[str]:
    with _instance(env) as instance:
        return instance.event_log_storage.get_concurrency_info(POOL).active_run_ids


def _owned_staging(env: dict[str, str]) -> list[str]:
    staging = Path(env["CX_DATA_DIR"]) / "staging"
    return sorted(p.name for p in staging.glob("genesys.conversations.*"))


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    _STARTED.append(process)
    return process


def _materialize(env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "cx_assets.cli", "materialize", "--start", DAY, "--end", DAY]
    return _start(command, env)


def _lands_the_day(env: dict[str, str]) -> None:
    again = _materialize(env)
    out, _ = again.communicate(timeout=60)
    assert again.returncode == 0, out
    assert "1 of 1 partitions succeeded" in out
    rows = query(
        Path(env["CX_DATA_DIR"]) / "catalog.duckdb",
        "SELECT count(*) FROM conversations WHERE conversation_date = DATE '2024-06-03'",
    ).rows
    assert rows == [(60,)]
    assert _owned_staging(env) == []  # the killed attempt's folder is gone


def test_materialize_fails_a_killed_run_frees_its_slot_and_the_next_run_lands(
    setup: tuple[EmulatorServer, dict[str, str]],
) -> None:
    emulator, env = setup
    emulator.add_faults(HANG)
    first = _materialize(env)
    run_id = _kill_mid_step(env, emulator)
    out, _ = first.communicate(timeout=30)

    assert first.returncode != 0
    assert f"run {run_id} ({DAY}): its worker (pid " in out
    assert "died (killed by SIGKILL); marked it failed and freed its pool slots" in out
    with _instance(env) as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
    assert _claimed(env) == set()
    assert _owned_staging(env) != []  # left by the killed step, until the next attempt

    _lands_the_day(env)


def test_the_reaper_sensor_fails_a_run_whose_worker_died(
    setup: tuple[EmulatorServer, dict[str, str]],
) -> None:
    emulator, env = setup
    emulator.add_faults(HANG)
    # `dagster asset materialize` itself: no cx-assets parent to notice the death.
    worker = _start(
        [
            *(sys.executable, "-m", "dagster", "asset", "materialize", "-m"),
            *("cx_assets.definitions", "--select", EXPORT_STEP, "--partition", DAY),
        ],
        env,
    )
    run_id = _kill_mid_step(env, emulator)
    worker.communicate(timeout=10)
    with _instance(env) as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # type: ignore[union-attr]
    assert _claimed(env) == {run_id}  # the slot the next run would wait on forever

    with _instance(env) as instance:
        skipped = dead_run_reaper(dg.build_sensor_context(instance=instance))
        run = instance.get_run_by_id(run_id)
    assert "failed 1 run(s) whose worker died" in str(skipped)
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
    assert _claimed(env) == set()

    _lands_the_day(env)
