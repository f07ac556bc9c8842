"""Today's snapshot of every known table near the end of the UTC day, each table its own run.

A snapshot can be filed only under the UTC day it is taken on (`flows/datatables_history.py`),
so the schedule takes the day it runs on: at 23:30 a run has 30 minutes plus the grace to start.
"""

import datetime as dt

import dagster as dg

from cx_assets.defs.datatables.partitions import datatable_ids, snapshot_partition_key
from cx_assets.defs.datatables.snapshots import SNAPSHOT_ASSET

snapshot_job = dg.define_asset_job(
    "genesys_datatables_snapshot_job", selection=dg.AssetSelection.assets(SNAPSHOT_ASSET)
)


@dg.schedule(
    name="genesys_datatables_daily",
    cron_schedule="30 23 * * *",
    execution_timezone="UTC",
    job=snapshot_job,
    description="Snapshots every data table as it is at the end of the UTC day, under that day.",
)
def snapshot_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    day = scheduled.astimezone(dt.UTC).date().isoformat()
    tables = context.instance.get_dynamic_partitions(datatable_ids.name or "")
    return [
        dg.RunRequest(run_key=f"{table}-{day}", partition_key=snapshot_partition_key(table, day))
        for table in tables
    ]
