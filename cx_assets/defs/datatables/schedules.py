"""Today's snapshot of every known table near the end of the UTC day, each table its own run.

A snapshot can be filed only under the UTC day it is taken on (`flows/datatables_history.py`),
so the schedule takes the day it runs on: at 23:30 a run has 30 minutes plus the grace to start.
It runs by default: a snapshot only reads (one export job per table in platform mode, pages in
tutorial mode), so it is as safe against the built-in emulator as against a real org.
"""

import datetime as dt

import dagster as dg

from cx_assets.defs.datatables.partitions import (
    datatable_ids,
    snapshot_partition_key,
    table_id_of,
    table_name_of,
)
from cx_assets.defs.datatables.snapshots import SNAPSHOT_ASSET
from cx_assets.defs.policies import OWNERS

snapshot_job = dg.define_asset_job(
    "genesys_datatables_snapshot_job",
    selection=dg.AssetSelection.assets(SNAPSHOT_ASSET),
    description="Snapshots Genesys data tables (one run per table and day): what the daily "
    "schedule genesys_datatables_daily launches.",
    metadata={"owners": ", ".join(OWNERS)},  # owners= on jobs is beta in 1.13 (a BetaWarning)
)


def run_tags(table_key: str) -> dict[str, str]:
    """Tags a person can filter runs by: the table's name and id, not only the partition."""
    return {
        "table": table_name_of(table_key) or table_id_of(table_key),
        "table_id": table_id_of(table_key),
    }


@dg.schedule(
    name="genesys_datatables_daily",
    cron_schedule="30 23 * * *",
    execution_timezone="UTC",
    job=snapshot_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    # owners= on schedules and sensors is a beta parameter in Dagster 1.13 (a BetaWarning at
    # every start): the owner goes in metadata and the description instead.
    metadata={"owners": ", ".join(OWNERS)},
    description="Running by default. At 23:30 UTC every day, snapshots every data table the "
    "discovery sensor has found, each as its own run tagged with the table's name, under that "
    "UTC day (a table keeps no history, so no other day can be filled). Safe to leave on: a "
    "snapshot only reads. A day without runs here has no snapshot; it cannot be filled later. "
    f"Owners: {', '.join(OWNERS)}.",
)
def snapshot_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    day = scheduled.astimezone(dt.UTC).date().isoformat()
    tables = context.instance.get_dynamic_partitions(datatable_ids.name or "")
    return [
        dg.RunRequest(
            run_key=f"{table}-{day}",
            partition_key=snapshot_partition_key(table, day),
            tags=run_tags(table),
        )
        for table in tables
    ]
