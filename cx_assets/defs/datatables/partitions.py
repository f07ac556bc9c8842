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


#: The sensor that adds every table of the org as a key (see discovery.py).
DISCOVERY_SENSOR = "genesys_datatables_discovery"
HOW_TO_ADD_TABLES = (
    f"Tables become partitions only through the sensor {DISCOVERY_SENSOR} (running by default, "
    "every 10 minutes; Automation > Sensors shows its last tick): it adds every table of the org "
    "as `<table name> [<table id>]`. A key typed into 'Add partition' is not a table. Create the "
    "table in Genesys Cloud (Architect > Data Tables) and it appears at the sensor's next tick."
)


class UnknownTableKey(ValueError):
    """A table partition key that names no table discovery found (typed by hand, say)."""


def snapshot_table_id(key: str) -> str:
    """The table id of a key the discovery sensor wrote, `<name> [<id>]`; anything else (a key
    made up in the UI's 'Add partition', a bare id from before names) is `UnknownTableKey`
    naming the key and how tables are added, raised before any request."""
    found = _KEY.fullmatch(key)
    if found is None:
        raise UnknownTableKey(
            f"Table partition {key!r} names no data table discovery found: {HOW_TO_ADD_TABLES}"
        )
    return found.group(1)


def table_name_of(key: str) -> str:
    """The table name a key shows (`Customer Tiers [id]` -> `Customer Tiers`); "" if none."""
    found = _KEY.fullmatch(key)
    return key[: found.start(1) - 1].strip() if found else ""


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
