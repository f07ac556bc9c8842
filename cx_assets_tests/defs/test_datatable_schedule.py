"""Contract: the daily data table schedule takes the UTC day it runs on (a snapshot can be filed
only under that day), one run per known table, and the day's partition exists to be filled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from cx_assets.defs.datatables.partitions import datatable_ids, snapshot_partitions
from cx_assets.defs.datatables.schedules import snapshot_schedule
from cx_assets.flows.datatables_history import check_snapshot_day
from cx_assets_tests.e2e.pipeline_testkit import make_instance


def test_each_night_snapshots_every_table_under_the_day_it_runs_on(tmp_path: Path) -> None:
    when = dt.datetime(2024, 6, 10, 23, 30, tzinfo=dt.UTC)
    with make_instance(tmp_path) as instance:
        instance.add_dynamic_partitions(datatable_ids.name or "", ["t-1", "t-2"])
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as ctx:
            requests = list(snapshot_schedule(ctx))
    keys = [r.partition_key for r in requests]
    assert keys == ["2024-06-10|t-1", "2024-06-10|t-2"]
    check_snapshot_day(dt.date(2024, 6, 10), now=when)  # what it asks for can be taken then


def test_todays_partition_exists() -> None:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    dates = snapshot_partitions.get_partitions_def_for_dimension("date")
    assert dates.get_last_partition_key() == today
