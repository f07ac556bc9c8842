"""Snapshots are partitioned by table x day; the table dimension is discovered, not coded.

A table's key carries its name and its id, `Customer Tiers [7c2a9f10-…]`, so the UI shows a
table people recognise while the id (what every API call, path and catalog row uses) stays in
the key. `table_id_of` reads the id back; a bare id (keys from before names) reads as itself.
"""

import re

import dagster as dg

from cx_assets import settings

TABLE_DIM = "table"
DATE_DIM = "date"
#: What a partition key may not hold (Dagster's own limits and the multi-key delimiter), and
#: the brackets that end a key; a name's own are replaced so the id is always the last [...].
_NOT_IN_NAME = re.compile(r"[\x00-\x1f|\[\]]|\.\.\.")
_KEY = re.compile(r"(?s).*\[([^\[\]]+)\]")
MAX_NAME_CHARS = 80

#: One key per Genesys data table, added by the discovery sensor (or `cx-assets demo`).
datatable_ids = dg.DynamicPartitionsDefinition(name="genesys_datatables")

snapshot_partitions = dg.MultiPartitionsDefinition(
    {
        # end_offset=1: today's partition exists, it is the only one a snapshot can fill
        # (flows/datatables_history.py); past dates are there only to hold snapshots taken then.
        DATE_DIM: dg.DailyPartitionsDefinition(start_date=settings.start_date(), end_offset=1),
        TABLE_DIM: datatable_ids,
    }
)


def table_partition_key(table_id: str, name: str) -> str:
    """`<name> [<id>]`: the name cleaned of what a key may not hold and cut to 80 characters."""
    shown = " ".join(_NOT_IN_NAME.sub(" ", name).split())[:MAX_NAME_CHARS].strip()
    return f"{shown} [{table_id}]" if shown else f"[{table_id}]"


def table_id_of(key: str) -> str:
    """The table id a table partition key holds."""
    found = _KEY.fullmatch(key)
    return found.group(1) if found else key


def snapshot_partition_key(table_key: str, day: str) -> str:
    """The multi-partition key string for one table key on one day (e.g. for the CLI)."""
    return str(dg.MultiPartitionKey({DATE_DIM: day, TABLE_DIM: table_key}))


def table_key_in(instance: dg.DagsterInstance, table_id: str) -> str:
    """The current table key of `table_id` among the instance's partitions."""
    keys = instance.get_dynamic_partitions(datatable_ids.name or "")
    found = [k for k in keys if table_id_of(k) == table_id]
    if not found:
        raise KeyError(f"data table {table_id} is not a snapshot partition yet: run discovery")
    return found[-1]
