"""Snapshots are partitioned by table x day; the table dimension is discovered, not coded."""

import dagster as dg

from cx_assets import settings

TABLE_DIM = "table"
DATE_DIM = "date"

#: One key per Genesys data table id, added by the discovery sensor (or `cx-assets demo`).
datatable_ids = dg.DynamicPartitionsDefinition(name="genesys_datatables")

snapshot_partitions = dg.MultiPartitionsDefinition(
    {
        # end_offset=1: today's partition exists, it is the only one a snapshot can fill
        # (flows/datatables_history.py); past dates are there only to hold snapshots taken then.
        DATE_DIM: dg.DailyPartitionsDefinition(start_date=settings.start_date(), end_offset=1),
        TABLE_DIM: datatable_ids,
    }
)


def snapshot_partition_key(table_id: str, day: str) -> str:
    """The multi-partition key string for one table on one day (e.g. for the CLI)."""
    return str(dg.MultiPartitionKey({DATE_DIM: day, TABLE_DIM: table_id}))
