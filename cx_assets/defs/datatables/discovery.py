"""Keep the table dimension current: every data table the org has becomes a partition key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import dagster as dg

from cx_assets.defs.datatables.partitions import datatable_ids
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


def new_table_ids(tables: Sequence[_Table], known: set[str]) -> list[str]:
    """Ids not yet partition keys, in the server's order (deleted tables keep their history)."""
    return [t.id for t in tables if t.id not in known]


def add_table_partitions(instance: dg.DagsterInstance, genesys: GenesysCloudResource) -> list[str]:
    """Add every table missing from the dynamic dimension; returns the ids added."""
    known = set(instance.get_dynamic_partitions(datatable_ids.name or ""))
    added = new_table_ids(list_tables(genesys), known)
    if added:
        instance.add_dynamic_partitions(datatable_ids.name or "", added)
    return added


@dg.sensor(
    name="genesys_datatables_discovery",
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Lists the org's data tables and adds new ones to the snapshot partitions.",
)
def datatables_discovery_sensor(
    context: dg.SensorEvaluationContext, genesys: GenesysCloudResource
) -> dg.SensorResult | dg.SkipReason:
    tables = list_tables(genesys)
    known = set(context.instance.get_dynamic_partitions(datatable_ids.name or ""))
    added = new_table_ids(tables, known)
    if not added:
        return dg.SkipReason(f"{len(tables)} table(s), none new")
    names = ", ".join(f"{t.name} ({t.id})" for t in tables if t.id in added)
    context.log.info(f"New data tables: {names}")
    return dg.SensorResult(dynamic_partitions_requests=[datatable_ids.build_add_request(added)])
