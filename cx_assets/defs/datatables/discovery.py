"""Keep the table dimension current: every data table the org has becomes a partition key.

Keys carry the table's name (`partitions.table_partition_key`). A table renamed since it was
added moves to a key with its new name (the old key is deleted; its snapshots stay in the
catalog and the lake under the table id); a table that disappeared keeps its key, so its
history stays browsable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import dagster as dg

from cx_assets.defs.datatables.partitions import (
    DISCOVERY_SENSOR,
    datatable_ids,
    table_id_of,
    table_partition_key,
)
from cx_assets.defs.policies import OWNERS
from cx_assets.defs.resources import GenesysCloudResource


class _Table(Protocol):
    id: str
    name: str


def list_tables(genesys: GenesysCloudResource) -> Sequence[_Table]:
    """Every table of the org, by the data tables flow's API mode."""
    if genesys.mode_for("data tables") == "platform":
        with genesys.datatables_platform_client() as platform:
            return platform.list_tables()
    with genesys.datatables_client() as client:
        return client.list_tables()


@dataclass(frozen=True)
class KeyChanges:
    """Keys to add (new tables, new names) and to delete (the old names of renamed tables)."""

    added: list[str]
    deleted: list[str]


def key_changes(tables: Sequence[_Table], known: Sequence[str]) -> KeyChanges:
    """What makes the dimension match `tables`, in the server's order."""
    wanted = {t.id: table_partition_key(t.id, t.name) for t in tables}
    known_set = set(known)
    added = [key for key in wanted.values() if key not in known_set]
    deleted = [k for k in known if table_id_of(k) in wanted and k != wanted[table_id_of(k)]]
    return KeyChanges(added, deleted)


def add_table_partitions(instance: dg.DagsterInstance, genesys: GenesysCloudResource) -> list[str]:
    """Bring the dynamic dimension up to date; returns the keys added."""
    name = datatable_ids.name or ""
    changes = key_changes(list_tables(genesys), instance.get_dynamic_partitions(name))
    if changes.added:
        instance.add_dynamic_partitions(name, changes.added)
    for key in changes.deleted:
        instance.delete_dynamic_partition(name, key)
    return changes.added


@dg.sensor(
    name=DISCOVERY_SENSOR,
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    # owners= on schedules and sensors is a beta parameter in Dagster 1.13 (a BetaWarning at
    # every start): the owner goes in metadata and the description instead.
    metadata={"owners": ", ".join(OWNERS)},
    description="Running by default, every 10 minutes. Lists the org's Genesys data tables and "
    "makes each one a table partition of genesys_datatable_snapshot, named as people know it: "
    "`<table name> [<table id>]`. A renamed table moves to a key with its new name; a deleted "
    "table keeps its key, so its history stays browsable. It launches no runs (the schedule "
    "genesys_datatables_daily snapshots the tables). This is the only way tables become "
    "partitions: a key typed into 'Add partition' is not a table and its run fails. A failed "
    "tick means the table listing could not be read (credentials, permission "
    "architect:datatable:view, or the API is down). "
    f"Owners: {', '.join(OWNERS)}.",
)
def datatables_discovery_sensor(
    context: dg.SensorEvaluationContext, genesys: GenesysCloudResource
) -> dg.SensorResult | dg.SkipReason:
    tables = list_tables(genesys)
    changes = key_changes(tables, context.instance.get_dynamic_partitions(datatable_ids.name or ""))
    if not changes.added and not changes.deleted:
        return dg.SkipReason(f"{len(tables)} table(s), none new or renamed")
    if changes.added:
        context.log.info(f"New or renamed data tables: {', '.join(changes.added)}")
    requests = []
    if changes.added:
        requests.append(datatable_ids.build_add_request(changes.added))
    if changes.deleted:
        requests.append(datatable_ids.build_delete_request(changes.deleted))
    return dg.SensorResult(dynamic_partitions_requests=requests)
