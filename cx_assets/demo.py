"""`cx-assets demo`: every flow once against the built-in emulator, then the catalog queried.

Runs go through the Dagster instance in DAGSTER_HOME exactly as `cx-assets materialize` does, so
what the demo shows is what the UI shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from cx_assets import settings
from cx_assets.catalog.queries import query
from cx_assets.catalog.sql_output import render_table
from cx_assets.defs.datatables.discovery import add_table_partitions
from cx_assets.defs.datatables.partitions import datatable_ids, snapshot_partition_key
from cx_assets.defs.datatables.snapshots import SNAPSHOT_ASSET
from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.local_runs import PartitionRun, days_between, ensure_dagster_home, materialize_days

DEMO_DAYS = 7
DEMO_IMPORT = "datatable_import_customer_tiers_update"

CONVERSATION_QUERIES = {
    "Conversations per day and channel": """
        SELECT conversation_date AS day, channel, count(*) AS conversations,
               round(avg(duration_ms) / 1000, 1) AS avg_seconds
        FROM conversations GROUP BY ALL ORDER BY day, channel""",
    "Export records in the catalog": """
        SELECT partition_key AS day, export_id, status, file_count AS files, bytes,
               row_count AS rows, quarantined_count AS quarantined, requests, retries,
               throttled, is_emulator
        FROM exports ORDER BY partition_key""",
}
DATATABLE_QUERIES = {
    "Data table imports (the second run changes nothing)": """
        SELECT import_name, left(run_id, 8) AS run, rows_total AS rows_read, inserted, updated,
               unchanged, quarantined, verified
        FROM datatable_imports ORDER BY started_at""",
    "Rows the import quarantined (first run)": """
        SELECT row_number, field, reason FROM datatable_quarantine
        WHERE run_id = (SELECT run_id FROM datatable_imports ORDER BY started_at LIMIT 1)
        ORDER BY row_number""",
    "Data table snapshots": """
        SELECT table_name, day, row_count, pages, restarts, version, etag
        FROM datatable_snapshots ORDER BY table_name""",
    "Imported rows as the snapshot sees them (datatables.customer_tiers)": """
        SELECT customer_id, tier, credit_limit, vip, since, snapshot_date
        FROM datatables.customer_tiers WHERE customer_id LIKE 'C-900%' ORDER BY customer_id""",
}

Report = Callable[[list[PartitionRun]], int]


def print_queries(catalog: Path, queries: dict[str, str]) -> None:
    for title, sql in queries.items():
        print(f"\n{title}  (duckdb {catalog})\n{render_table(query(catalog, sql))}")


def demo_days() -> list[str]:
    start = dt.date.fromisoformat(settings.start_date())
    return days_between(start, start + dt.timedelta(days=DEMO_DAYS - 1))


def run_conversations(env: dict[str, str], parallel: int, report: Report) -> int:
    days = demo_days()
    print(f"\nConversation exports {days[0]} … {days[-1]} ({parallel} runs at a time)")
    return report(materialize_days(days, env=env, parallel=parallel))


def run_datatables(env: dict[str, str], emulator_url: str, parallel: int, report: Report) -> int:
    """Import twice (the second changes nothing), then snapshot every table for the last day."""
    print("\nData table import (twice: the second run must change nothing)")
    code = 0
    for _ in range(2):
        code |= report(materialize_days([None], env=env, selection=DEMO_IMPORT))
    genesys = GenesysCloudResource(
        api_url=emulator_url,
        login_url=emulator_url,
        client_id=settings.EMULATOR_CLIENT_ID,
        client_secret=settings.EMULATOR_CLIENT_SECRET,
    )
    home = ensure_dagster_home(env)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        add_table_partitions(instance, genesys)
        tables = instance.get_dynamic_partitions(datatable_ids.name or "")
    day = demo_days()[-1]
    print(f"\nData table snapshots of {len(tables)} discovered tables for {day}")
    keys = [snapshot_partition_key(table, day) for table in tables]
    code |= report(materialize_days(keys, env=env, parallel=parallel, selection=SNAPSHOT_ASSET))
    return code
