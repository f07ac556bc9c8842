"""Contract: `cxone_interactions` in TUTORIAL mode through a real Dagster instance.

A run over N consecutive days is one export job on the server and N day partitions (one
materialization each, with that day's metrics) and one result per check naming any failing
day; re-running one day leaves every other day's file and catalog row byte-identical; a day below
the integrity threshold fails the check naming day and rate, and fails the run (status FAILURE,
not retried) after every day of it landed; the webhook receives each day's
complete rows; and a 200-day backfill launched through Dagster's own backfill machinery
(BackfillPolicy multi_run(90)) makes ceil(200/90) = 3 export jobs and registers 200 days.
Platform mode has its own file (test_cxone_platform_e2e.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import PythonFileTarget
from dagster._daemon.backfill import execute_backfill_iteration

from cx_assets.catalog.queries import query
from cx_assets.defs import cxone
from cx_assets.defs.cxone.assets import ASSET_KEY
from cx_assets.defs.cxone.environment import emulator_tutorial
from cx_assets.defs.cxone.resource import (
    CXONE_EMULATOR_CLIENT_ID,
    CXONE_EMULATOR_CLIENT_SECRET,
    CxoneResource,
)
from cx_assets.defs.resources import CatalogResource
from cx_assets.emulator import EmulatorServer
from cx_assets.lake.cxone_days import day_path
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.e2e.pipeline_testkit import make_instance

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

EMULATOR = {
    "queue_delay_s": 0.0,
    "run_delay_s": 0.02,
    "cxone_records_per_day": 12,
    "cxone_missing_rate": 0.0,
}
#: Test-sized waits; everything else is the resource's production default.
FAST = {"poll_initial_s": 0.01, "poll_max_s": 0.05, "initial_backoff_s": 0.01}
FIRST = dt.date(2024, 2, 20)


def _keys(first: dt.date, days: int) -> list[str]:
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(days)]


class Cxone:
    """An emulator, a data root and a Dagster instance; materialise `cxone_interactions`."""

    def __init__(self, tmp_path: Path, **emulator: Any) -> None:
        self.emulator = EmulatorServer(
            state_dir=tmp_path / "emulator", **{**EMULATOR, **emulator}
        ).start()
        self.data_dir = tmp_path / "data"
        self.instance = make_instance(tmp_path / "dagster_home")

    def close(self) -> None:
        self.instance.dispose()
        self.emulator.stop()

    def resource(self, **overrides: Any) -> CxoneResource:
        return emulator_tutorial(f"{self.emulator.url}/cxone", **{**FAST, **overrides})

    def run(
        self, first: str, last: str | None = None, *, raise_on_error: bool = True, **cxone: Any
    ) -> dg.ExecuteInProcessResult:
        """One run over first..last: the range tags are what a multi_run backfill sets."""
        tags = {
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last or first,
        }
        return dg.materialize(
            _ASSETS,
            instance=self.instance,
            tags=tags,
            raise_on_error=raise_on_error,
            resources={
                "cxone": self.resource(**cxone),
                "catalog": CatalogResource(data_dir=str(self.data_dir)),
            },
        )

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.data_dir)

    def sql(self, text: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return query(self.layout.catalog_path, text, params).rows

    def exports_on_server(self) -> list[dict[str, Any]]:
        return self.emulator.stats()["cxone_exports"]


_ASSETS = cxone.ASSETS


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Cxone]:
    pipeline = Cxone(tmp_path)
    try:
        yield pipeline
    finally:
        pipeline.close()


def _by_partition(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {
        str(e.materialization.partition): {
            k: getattr(v, "value", v) for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    """The run's one evaluation of check `name` (it covers every day of the run)."""
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_one_day_lands_with_metadata_checks_and_audit(env: Cxone) -> None:
    result = env.run("2024-02-29")
    meta = _by_partition(result)
    assert list(meta) == ["2024-02-29"]
    day = meta["2024-02-29"]
    assert (day["total"], day["valid"], day["integrity_rate"]) == (12, 12, 1.0)
    assert day["dagster/row_count"] == 12 and day["missing_fields"] == {}
    for name in ("integrity_at_least_threshold", "rows_match_records"):
        evaluation = _check(result, name)
        assert evaluation.passed
        assert evaluation.metadata["per_day"].value["2024-02-29"]  # the day's own figures
    assert env.sql("SELECT count(*) FROM cxone.interactions") == [(12,)]
    [(export_id, start, end, records)] = env.sql(
        "SELECT export_id, range_start, range_end, records FROM cxone_exports"
    )
    assert (str(start), str(end), records) == ("2024-02-29", "2024-02-29", 12)
    [(details,)] = env.sql(
        "SELECT details FROM audit_log WHERE flow = 'cxone' AND action = 'export'"
    )
    assert export_id in details and "metrics_sha256" in details


def test_ten_days_are_one_export_job_and_ten_day_partitions(env: Cxone) -> None:
    keys = _keys(FIRST, 10)
    result = env.run(keys[0], keys[-1])
    exports = env.exports_on_server()
    assert len(exports) == 1
    assert exports[0]["start"].startswith("2024-02-20T00:00:00.000Z")
    assert exports[0]["end"].startswith("2024-03-01T00:00:00.000Z")  # 2024 is a leap year
    assert sorted(_by_partition(result)) == keys
    assert sorted(_check(result, "rows_match_records").metadata["per_day"].value) == keys
    rows = env.sql("SELECT day, total, export_id FROM cxone_day_metrics ORDER BY day")
    assert [str(d) for d, _, _ in rows] == keys
    assert {e for _, _, e in rows} == {exports[0]["id"]}
    # Dagster itself now sees each day as materialised.
    materialized = env.instance.get_materialized_partitions(ASSET_KEY)
    assert materialized == set(keys)


def _log_lines(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [e.user_message for e in instance.all_logs(run_id) if e.user_message]


def test_an_export_logs_its_pages_as_they_arrive_with_an_eta(env: Cxone) -> None:
    keys = _keys(FIRST, 3)  # 36 records in pages of 5: 8 pages, the total known up front
    result = env.run(keys[0], keys[-1], page_size=5)
    [export] = env.exports_on_server()
    lines = [
        line
        for line in _log_lines(env.instance, result.run_id)
        if line.startswith(f"CXone export {export['id']} ({keys[0]}..{keys[-1]}): ")
    ]
    assert lines[0].startswith(
        f"CXone export {export['id']} ({keys[0]}..{keys[-1]}): 1 of 8 page(s), 5 record(s), "
    )
    assert "ETA" in lines[0]
    assert lines[-1].startswith(
        f"CXone export {export['id']} ({keys[0]}..{keys[-1]}): done, 8 of 8 page(s), 36 record(s)"
    )


def test_rerunning_one_day_leaves_the_other_days_untouched(env: Cxone) -> None:
    keys = _keys(FIRST, 5)
    env.run(keys[0], keys[-1])
    files = {k: day_path(env.layout, dt.date.fromisoformat(k)) for k in keys}
    before = {k: p.read_bytes() for k, p in files.items()}
    rows_before = env.sql("SELECT * FROM cxone_day_metrics ORDER BY day")
    env.run(keys[2])
    assert len(env.exports_on_server()) == 2
    others = [k for k in keys if k != keys[2]]
    assert [files[k].read_bytes() == before[k] for k in others] == [True] * len(others)
    rows_after = env.sql("SELECT * FROM cxone_day_metrics ORDER BY day")
    untouched = [r for r in rows_after if str(r[0]) != keys[2]]
    assert untouched == [r for r in rows_before if str(r[0]) != keys[2]]
    [rerun] = [r for r in rows_after if str(r[0]) == keys[2]]
    assert rerun[1] == env.exports_on_server()[1]["id"]  # the re-run's export owns that day
    assert env.sql("SELECT count(*) FROM cxone.interactions") == [(5 * 12,)]


def test_failed_export_is_audited_and_the_run_retry_lands_the_days(env: Cxone) -> None:
    env.emulator.add_faults("export_failed:count=1,path_prefix=/cxone")
    result = env.run("2024-02-20", "2024-02-21")
    [failure] = [e for e in result.all_events if e.is_step_failure or e.is_step_up_for_retry]
    assert "CXone export of 2024-02-20..2024-02-21 failed" in str(failure.event_specific_data)
    [(entity, details)] = env.sql(
        "SELECT entity, details FROM audit_log WHERE flow = 'cxone' AND action <> 'export'"
    )
    assert "2024-02-20_2024-02-21" in entity and "failed" in details
    [failed, retried] = env.exports_on_server()
    [(export_id,)] = env.sql("SELECT DISTINCT export_id FROM cxone_day_metrics")
    assert export_id == retried["id"] != failed["id"]


def test_a_day_below_the_threshold_fails_the_run_after_every_day_landed(tmp_path: Path) -> None:
    pipeline = Cxone(tmp_path, cxone_missing_rate=0.2, cxone_records_per_day=30)
    try:
        keys = _keys(FIRST, 3)
        result = pipeline.run(keys[0], keys[-1], raise_on_error=False)
        run = pipeline.instance.get_run_by_id(result.run_id)
        materialized = pipeline.instance.get_materialized_partitions(ASSET_KEY)
        rows = pipeline.sql("SELECT count(*) FROM cxone.interactions")
        latest = pipeline.instance.get_latest_asset_check_evaluation_record(
            dg.AssetCheckKey(ASSET_KEY, "integrity_at_least_threshold")
        )
    finally:
        pipeline.close()
    # The run is red where people look (Runs, Backfills), and not retried (same records).
    assert not result.success and run is not None
    assert run.status == dg.DagsterRunStatus.FAILURE
    [failure] = result.get_step_failure_events()
    assert not [e for e in result.all_events if e.is_step_up_for_retry]
    # ... yet every day is landed and recorded: the data is there, nothing dropped.
    assert materialized == set(keys) and sorted(_by_partition(result)) == keys
    assert rows == [(3 * 30,)]
    integrity = _check(result, "integrity_at_least_threshold")
    assert not integrity.passed, "20% of records miss fields: some day must be below 0.99"
    assert latest is not None and latest.evaluation == integrity  # the latest execution
    meta = _by_partition(result)
    failing = integrity.metadata["failing_days"].value
    assert failing and set(failing) <= set(keys)
    assert (integrity.description or "").startswith(f"{keys[0]}..{keys[-1]}: ")
    assert (integrity.metadata["first_day"].value, integrity.metadata["last_day"].value) == (
        keys[0],
        keys[-1],
    )
    user_failure = failure.step_failure_data.user_failure_data
    assert user_failure is not None and user_failure.description is not None
    assert user_failure.description.startswith(
        f"CXone integrity below 0.99 on {len(failing)} of 3 day(s) ({keys[0]}..{keys[-1]}):"
    )
    assert user_failure.metadata["failing_days"].value == failing
    for key in failing:
        rate = meta[key]["integrity_rate"]
        assert rate < 0.99
        line = f"{key}: integrity {rate:.4f} < 0.99"
        assert line in (integrity.description or "") and line in user_failure.description
        assert integrity.metadata["per_day"].value[key]["integrity_rate"] == round(rate, 6)
        assert user_failure.metadata["failing_rates"].value[key] == round(rate, 6)
        assert meta[key]["missing_fields"]  # which fields were missing, how often
    # rows are kept even when incomplete: nothing dropped
    assert _check(result, "rows_match_records").passed


def test_webhook_receives_each_days_complete_records(env: Cxone) -> None:
    keys = _keys(FIRST, 3)
    url = f"{env.emulator.url}/lake-webhook/ingest"
    result = env.run(keys[0], keys[-1], lake_webhook_url=url, webhook_chunk_size=5)
    batches = httpx.get(f"{env.emulator.url}/admin/lake-webhook", timeout=10).json()["batches"]
    by_day: dict[str, list[str]] = {}
    for batch in batches:
        assert batch["dataset"] == "interactions" and batch["count"] <= 5
        by_day.setdefault(batch["partition"], []).extend(r["id"] for r in batch["records"])
    assert sorted(by_day) == keys
    for key in keys:
        ids = {
            r[0]
            for r in env.sql(
                "SELECT id FROM cxone.interactions WHERE start_time::DATE = ?::DATE", [key]
            )
        }
        assert sorted(by_day[key]) == sorted(ids)
        assert _by_partition(result)[key]["synced_records"] == len(ids)
    synced = env.sql("SELECT day, sum(records) FROM cxone_syncs GROUP BY day ORDER BY day")
    assert [(str(d), int(n)) for d, n in synced] == [(k, len(by_day[k])) for k in keys]


# -- a real Dagster backfill -----------------------------------------------------------------

#: Loaded by the backfill test's workspace (this file as a code location): resources from the
#: environment so the runs the backfill daemon launches reach this test's emulator and data root.
backfill_defs = dg.Definitions(
    assets=_ASSETS,
    resources={
        "cxone": CxoneResource(
            api_mode="tutorial",
            api_url=dg.EnvVar("CXONE_API_URL"),
            auth_url=dg.EnvVar("CXONE_API_URL"),
            client_id=CXONE_EMULATOR_CLIENT_ID,
            client_secret=CXONE_EMULATOR_CLIENT_SECRET,
            **FAST,
        ),
        "catalog": CatalogResource(data_dir=dg.EnvVar("CX_DATA_DIR")),
    },
    executor=dg.in_process_executor,
)

BACKFILL_INSTANCE = """
run_launcher:
  module: dagster._core.launcher.sync_in_memory_run_launcher
  class: SyncInMemoryRunLauncher
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""


def test_200_day_backfill_is_three_export_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = EmulatorServer(
        state_dir=tmp_path / "emulator", **{**EMULATOR, "cxone_records_per_day": 3}
    ).start()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(BACKFILL_INSTANCE)
    monkeypatch.setenv("CXONE_API_URL", f"{emulator.url}/cxone")
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    keys = _keys(dt.date(2024, 1, 1), 200)
    target = PythonFileTarget(
        python_file=__file__,
        attribute="backfill_defs",
        working_directory=str(Path(__file__).resolve().parents[2]),
        location_name="cxone_backfill_test",
    )
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        with create_test_daemon_workspace_context(target, instance) as workspace:
            asset_graph = workspace.create_request_context().asset_graph
            backfill = PartitionBackfill.from_asset_partitions(
                backfill_id="cxone200",
                asset_graph=asset_graph,
                partition_names=keys,
                asset_selection=[ASSET_KEY],
                backfill_timestamp=time.time(),
                tags={},
                dynamic_partitions_store=instance,
                all_partitions=False,
                title="cxone 200 days",
                description=None,
                run_config=None,
            )
            instance.add_backfill(backfill)
            logger = logging.getLogger("cxone_backfill_test")
            for _ in range(20):  # each iteration submits (and here runs) what is due
                list(execute_backfill_iteration(workspace, logger))
                status = instance.get_backfill("cxone200").status
                if status != BulkActionStatus.REQUESTED:
                    break
            assert instance.get_backfill("cxone200").status == BulkActionStatus.COMPLETED_SUCCESS
            runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": "cxone200"}))
            ranges = sorted(
                (
                    r.tags["dagster/asset_partition_range_start"],
                    r.tags["dagster/asset_partition_range_end"],
                )
                for r in runs
            )
            assert materialized_days(instance) == set(keys)
            integrity = instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(ASSET_KEY, "integrity_at_least_threshold"), limit=500
            )
            checked_runs = {r.run_id for r in integrity}
    finally:
        instance.dispose()
        exports = emulator.stats()["cxone_exports"]
        emulator.stop()
    assert len(exports) == math.ceil(200 / 90) == len(runs) == 3
    assert ranges == [
        ("2024-01-01", "2024-03-30"),
        ("2024-03-31", "2024-06-28"),
        ("2024-06-29", "2024-07-18"),
    ]
    catalog = tmp_path / "data" / "catalog.duckdb"
    [(days, first, last)] = query(
        catalog, "SELECT count(*), min(day), max(day) FROM cxone_day_metrics"
    ).rows
    assert (days, str(first), str(last)) == (200, keys[0], keys[-1])
    assert query(catalog, "SELECT count(*) FROM cxone_exports").rows == [(3,)]
    assert checked_runs == {r.run_id for r in runs}  # one evaluation per run, naming its days


def materialized_days(instance: dg.DagsterInstance) -> set[str]:
    return set(instance.get_materialized_partitions(ASSET_KEY))
