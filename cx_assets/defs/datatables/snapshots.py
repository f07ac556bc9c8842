"""Daily snapshots of every Genesys data table: consistent, typed, comparable day to day."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from cx_assets.defs.datatables import snapshot_checks as checks
from cx_assets.defs.datatables.partitions import (
    DATE_DIM,
    HOW_TO_ADD_TABLES,
    TABLE_DIM,
    UnknownTableKey,
    snapshot_partitions,
    snapshot_table_id,
    table_name_of,
)
from cx_assets.defs.policies import DAILY_FRESHNESS, OWNERS, TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.datatables import snapshot_table
from cx_assets.flows.datatables_history import SnapshotDayRefused
from cx_assets.flows.datatables_platform import snapshot_platform_table
from cx_assets.flows.datatables_snapshot import SnapshotResult
from cx_assets.genesys.datatables.platform_csv import CsvFormatError
from cx_assets.genesys.datatables.platform_errors import DataTableJobError
from cx_assets.genesys.datatables.platform_schema import SchemaError
from cx_assets.genesys.datatables.tutorial import SnapshotInconsistent
from cx_assets.http.errors import ApiError
from cx_assets.lake.datatable_columns import SnapshotColumn, describe_column, key_names
from cx_assets.lake.datatables import TYPE_MAP

SNAPSHOT_ASSET = "genesys_datatable_snapshot"
FLOW = "data tables"
PREVIEW_ROWS = 5
#: Where each snapshot's columns go: not `dagster/column_schema`, which the asset's overview
#: shows as the asset's own columns (it would show whichever table was snapshotted last).
COLUMNS_KEY = "table_columns"


def _spec(name: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=SNAPSHOT_ASSET, description=description)


@dg.asset(
    name=SNAPSHOT_ASSET,
    group_name="genesys_datatables",
    partitions_def=snapshot_partitions,
    pool="genesys_api",
    kinds={"genesys", "parquet", "duckdb"},
    retry_policy=TRANSIENT_RETRY,
    freshness_policy=DAILY_FRESHNESS,
    check_specs=[
        _spec(
            checks.ROWS_MATCH_SERVER,
            "Rows in the day's Parquet file equal the rows the server said the table holds "
            "(platform: the export job's count). Fails when rows were quarantined for not "
            "fitting their column's type or went missing on the way.",
        ),
        _spec(
            checks.PRIMARY_KEY_UNIQUE,
            "No key value occurs twice in the snapshot; a failure lists the repeated keys.",
        ),
        _spec(
            checks.SCHEMA_MATCHES_SERVER,
            "The file's columns and types are the table's schema as the server declares it.",
        ),
        _spec(
            checks.SCHEMA_DRIFT,
            "Warns (does not fail) when columns were added, removed, retyped or re-keyed since "
            "the table's previous snapshot: news for whoever queries the table.",
        ),
    ],
    owners=OWNERS,
)
def genesys_datatable_snapshot(
    context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.MaterializeResult:
    """One Genesys data table as it was on one day: typed Parquet and a catalog view.

    Partitions are table x day. Tables appear by name, `Customer Tiers [<table id>]`, added by
    the sensor genesys_datatables_discovery (running by default, every 10 minutes); a key typed
    into "Add partition" is not a table, and its run fails at once saying so. The schedule
    genesys_datatables_daily (running by default) snapshots every table at 23:30 UTC.

    A data table keeps no history: only today's UTC date can be materialised (yesterday's too
    for two hours after midnight, for a late scheduled run). A past date is refused before any
    request, so a backfill never files today's rows under a day they were not taken on.

    Each table has its own columns, so they are not on this page: open a partition (Partitions
    tab, pick a table and today) and read `table_columns` on its materialisation, with each
    column's type and key. Rows, bytes, requests, 429s and seconds per snapshot are charted on
    the Plots tab. Query a table as `datatables.<table name>` in `catalog.duckdb`, one
    `snapshot_date` a day.

    Platform mode: one export job per table (a consistent copy of the table at the instant the
    job was created), its CSV typed by the table's JSON Schema; rows that do not type are
    quarantined. Tutorial mode: pages with cursors, checking the ETag of every page; a change
    mid-way restarts from page one. Either way a snapshot never mixes two states of the table.
    """
    keys = context.partition_key.keys_by_dimension  # type: ignore[attr-defined]
    table_key, day = keys[TABLE_DIM], keys[DATE_DIM]
    try:
        table_id = snapshot_table_id(table_key)
    except UnknownTableKey as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    platform = genesys.mode_for(FLOW) == "platform"
    step = snapshot_platform_table if platform else snapshot_table
    factory = genesys.datatables_platform_client if platform else genesys.datatables_client
    try:
        result = step(
            factory,  # type: ignore[arg-type]
            catalog.layout,
            table_id,
            day,
            run_id=context.run.run_id,
            target=genesys.target(FLOW),
            log=context.log,
            table_name=table_name_of(table_key),
        )
    except (SnapshotDayRefused, SchemaError, CsvFormatError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except (SnapshotInconsistent, DataTableJobError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=True) from None
    except ApiError as exc:
        if exc.status == 404:
            raise dg.Failure(
                description=f"The server has no data table {table_id} (partition "
                f"{table_key!r}): deleted in Genesys, or a key made up by hand. "
                f"{HOW_TO_ADD_TABLES} ({exc})",
                allow_retries=False,
            ) from None
        raise dg.Failure(
            description=f"Snapshot of data table {table_key!r} failed: {exc}",
            allow_retries=exc.transient,
        ) from None
    path = result.written.path
    return dg.MaterializeResult(
        metadata=_metadata(result, genesys.mode_for(FLOW)),
        check_results=[
            checks.rows_match_server(path, result.rows_served, result.quarantined),
            checks.primary_key_unique(path, result.columns),
            checks.schema_matches_server(path, result.columns, result.details.get("table_version")),
            checks.schema_drift(result.previous_columns, result.previous_day, result.columns),
        ],
    )


def column_schema(columns: Sequence[SnapshotColumn]) -> dg.TableSchema:
    """The table's columns as the UI lists them: lake type, a description, the key's rules."""
    key = key_names(columns)
    unique_key = dg.TableColumnConstraints(nullable=False, unique=True)
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=TYPE_MAP[c.type],
                description=describe_column(c, key, TYPE_MAP[c.type]),
                constraints=unique_key if c.is_key and len(key) == 1 else None,
            )
            for c in columns
        ]
    )


def preview(path: Path, columns: Sequence[SnapshotColumn]) -> str:
    """The file's first rows as a Markdown table (read back, so it shows what landed)."""
    names = [c.name for c in columns]
    rows = pl.read_parquet(path, n_rows=PREVIEW_ROWS).to_dicts()
    lines = ["| " + " | ".join(names) + " |", "|" + " --- |" * len(names)]
    for row in rows:
        cells = ("" if row.get(n) is None else str(row[n]).replace("|", "\\|") for n in names)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _metadata(result: SnapshotResult, mode: str) -> dict[str, Any]:
    written, stats = result.written, result.stats
    return {
        "dagster/row_count": written.rows,
        COLUMNS_KEY: column_schema(result.columns),
        "table_name": result.table_name,
        "table_id": result.table_id,
        "api_mode": mode,
        **result.details,
        "rows_quarantined": result.quarantined,
        "path": dg.MetadataValue.path(str(written.path)),
        "bytes": written.bytes,
        "sha256": written.sha256,
        "catalog_view": result.view,
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "preview": dg.MetadataValue.md(preview(written.path, result.columns)),
    }
