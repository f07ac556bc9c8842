"""Data tables as a person meets them in the Dagster UI: runs of a made-up table key fail at
once saying how tables are added; each snapshot carries its own table's described columns (not
the asset-level column schema the overview would show as the asset's) and numeric metadata the
Plots tab charts; long snapshots and imports log progress; the schedule's runs are tagged with
the table's name; every definition says who owns it and whether it runs by default."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_assets.defs.datatables import discovery, schedules
from cx_assets.defs.datatables.discovery import add_table_partitions
from cx_assets.defs.datatables.import_files import imports_dir
from cx_assets.defs.datatables.imports import build_import_asset, import_assets
from cx_assets.defs.datatables.partitions import datatable_ids, snapshot_partition_key, table_key_in
from cx_assets.defs.datatables.snapshots import COLUMNS_KEY, genesys_datatable_snapshot
from cx_assets.defs.policies import OWNERS
from cx_assets.flows import datatables_progress
from cx_assets.genesys.datatables.declarations import load_declarations
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, make_instance, running_pipeline

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
HOLIDAYS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000003"
PLATFORM_TIERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
PLATFORM_VIP = "7c2a9f10-2d3e-4f60-9b1c-000000000102"
TODAY = dt.datetime.now(dt.UTC).date().isoformat()
PLATFORM = {"api_mode": "platform", "poll_initial_s": 0.02, "poll_max_s": 0.05}


@pytest.fixture
def slow_jobs(tmp_path: Path) -> Iterator[Pipeline]:
    """Platform mode whose export jobs stay Processing for 0.6 s, like a big table's."""
    with running_pipeline(tmp_path, datatable_job_delay_s=0.6) as running:
        yield running


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dg.MetadataValue]:
    [event] = result.get_asset_materialization_events()
    return dict(event.materialization.metadata)


def _failure(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return str(failure.step_failure_data.error)


def _snapshot(pipeline: Pipeline, table_key: str, **genesys: Any) -> dg.ExecuteInProcessResult:
    return pipeline.materialize_assets(
        [genesys_datatable_snapshot],
        partition_key=snapshot_partition_key(table_key, TODAY),
        raise_on_error=False,
        **genesys,
    )


def _log_lines(pipeline: Pipeline, result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.user_message for e in pipeline.instance.all_logs(result.run_id)]


def test_a_made_up_table_key_fails_at_once_saying_how_tables_are_added(
    pipeline: Pipeline,
) -> None:
    pipeline.instance.add_dynamic_partitions(datatable_ids.name or "", ["Made Up Table"])
    requests_before = pipeline.emulator.stats()["requests"]

    result = _snapshot(pipeline, "Made Up Table")

    assert not result.success
    message = _failure(result)
    assert "'Made Up Table' names no data table discovery found" in message
    assert "genesys_datatables_discovery" in message and "Add partition" in message
    assert pipeline.emulator.stats()["requests"] == requests_before  # nothing was asked
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)


@pytest.mark.parametrize("genesys", [{}, PLATFORM], ids=["tutorial", "platform"])
def test_a_key_whose_id_no_table_has_fails_once_naming_the_key_and_the_sensor(
    pipeline: Pipeline, genesys: dict[str, Any]
) -> None:
    key = "Ghost Table [6b1f6a0e-1c2d-4e5f-8a9b-0000000000ff]"
    pipeline.instance.add_dynamic_partitions(datatable_ids.name or "", [key])

    result = _snapshot(pipeline, key, **genesys)

    message = _failure(result)
    assert "The server has no data table 6b1f6a0e-1c2d-4e5f-8a9b-0000000000ff" in message
    assert repr(key) in message and "genesys_datatables_discovery" in message
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)


def test_each_snapshot_carries_its_own_tables_described_columns_and_plottable_numbers(
    pipeline: Pipeline,
) -> None:
    add_table_partitions(pipeline.instance, pipeline.resources()["genesys"])
    tiers = _metadata(_snapshot(pipeline, table_key_in(pipeline.instance, TIERS)))
    holidays = _metadata(_snapshot(pipeline, table_key_in(pipeline.instance, HOLIDAYS)))

    for metadata in (tiers, holidays):
        assert "dagster/column_schema" not in metadata  # the overview would show it as the asset's
        for key in ("dagster/row_count", "bytes", "requests", "throttled_429", "rows_quarantined"):
            assert isinstance(metadata[key], dg.IntMetadataValue), key
        assert isinstance(metadata["seconds"], dg.FloatMetadataValue)
    assert tiers["table_name"].value == "Customer Tiers" and tiers["table_id"].value == TIERS
    tiers_columns = {c.name: c for c in tiers[COLUMNS_KEY].value.columns}
    holiday_columns = {c.name: c for c in holidays[COLUMNS_KEY].value.columns}
    assert set(tiers_columns) != set(holiday_columns)  # each partition its own table's columns
    [key] = [c for c in tiers_columns.values() if c.constraints.unique]
    assert key.description.endswith("The table's key: one row per value.")
    assert key.constraints.nullable is False
    composite = [c for c in holiday_columns.values() if "Part of the table's key" in c.description]
    assert len(composite) >= 2 and not any(c.constraints.unique for c in composite)
    assert all("Data table column of type" in c.description for c in holiday_columns.values())


def test_a_platform_snapshot_shows_genesys_titles_and_the_table_description(
    pipeline: Pipeline,
) -> None:
    add_table_partitions(pipeline.instance, pipeline.resources(**PLATFORM)["genesys"])
    metadata = _metadata(
        _snapshot(pipeline, table_key_in(pipeline.instance, PLATFORM_VIP), **PLATFORM)
    )
    columns = {c.name: c.description for c in metadata[COLUMNS_KEY].value.columns}
    assert columns["key"].startswith("Shown in Genesys as 'Phone Number'. Data table column")
    assert columns["priority"] == (
        "Shown in Genesys as 'Priority'. Data table column of type integer (BIGINT in the lake)."
    )
    assert metadata["table_description"].value == "Callers routed to the priority queue"


def test_a_long_export_job_logs_progress_at_a_steady_rate_and_records_its_seconds(
    slow_jobs: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datatables_progress, "EVERY_S", 0.15)
    add_table_partitions(slow_jobs.instance, slow_jobs.resources(**PLATFORM)["genesys"])

    result = _snapshot(slow_jobs, table_key_in(slow_jobs.instance, PLATFORM_TIERS), **PLATFORM)

    assert result.success
    lines = _log_lines(slow_jobs, result)
    label = f"Snapshot of data table 'Customer Tiers' ({PLATFORM_TIERS}) (export job)"
    ticks = [line for line in lines if line.startswith(f"{label}: ") and "request(s)" in line]
    assert len(ticks) >= 3  # 0.6 s of a Processing job at one line per 0.15 s, then "done"
    assert "total unknown until the last request" in ticks[0]
    assert ticks[-1].startswith(f"{label}: done, ")
    assert _metadata(result)["seconds"].value >= 0.6


def test_an_import_logs_rows_done_of_its_total(pipeline: Pipeline) -> None:
    [declaration] = [
        d for d in load_declarations(imports_dir()) if d.name == "customer_tiers_update"
    ]
    result = pipeline.materialize_assets([build_import_asset(declaration)])

    lines = _log_lines(pipeline, result)
    done = [line for line in lines if line.startswith("Import customer_tiers_update: ")]
    assert any(" of " in line and "row(s)" in line and "ETA" in line for line in done)
    assert any(line.startswith("Import customer_tiers_update: done, ") for line in done)
    metadata = _metadata(result)
    assert isinstance(metadata["seconds"], dg.FloatMetadataValue)
    assert isinstance(metadata["quarantined"], dg.IntMetadataValue)


def test_the_schedule_runs_by_default_and_tags_each_run_with_the_tables_name(
    tmp_path: Path,
) -> None:
    when = dt.datetime(2024, 6, 10, 23, 30, tzinfo=dt.UTC)
    with make_instance(tmp_path) as instance:
        instance.add_dynamic_partitions(datatable_ids.name or "", [f"Customer Tiers [{TIERS}]"])
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as ctx:
            [request] = list(schedules.snapshot_schedule(ctx))
    assert request.tags["table"] == "Customer Tiers" and request.tags["table_id"] == TIERS
    schedule = schedules.snapshot_schedule
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert (schedule.description or "").startswith("Running by default.")
    assert schedule.metadata["owners"].value == ", ".join(OWNERS)


def test_every_definition_says_who_owns_it_and_the_sensor_that_it_is_on() -> None:
    [snapshot] = genesys_datatable_snapshot.specs
    assert snapshot.owners == OWNERS
    assert "table_columns" in (snapshot.description or "")  # where each table's columns are
    for asset in import_assets():
        [spec] = asset.specs
        assert spec.owners == OWNERS and spec.description
    assert schedules.snapshot_job.metadata["owners"] == ", ".join(OWNERS)
    sensor = discovery.datatables_discovery_sensor
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert (sensor.description or "").startswith("Running by default, every 10 minutes.")
    assert sensor.metadata["owners"].value == ", ".join(OWNERS)
