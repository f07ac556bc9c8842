"""Daily snapshots of every Genesys data table: consistent, typed, comparable day to day."""

from typing import Any

import dagster as dg

from cx_assets.defs.datatables import snapshot_checks as checks
from cx_assets.defs.datatables.partitions import DATE_DIM, TABLE_DIM, snapshot_partitions
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.datatables import snapshot_table
from cx_assets.flows.datatables_history import SnapshotDayRefused
from cx_assets.genesys.datatables.models import TableSchema
from cx_assets.genesys.datatables.tutorial import SnapshotInconsistent, TableSnapshot
from cx_assets.http.errors import ApiError
from cx_assets.lake.datatables import TYPE_MAP, WrittenFile

SNAPSHOT_ASSET = "genesys_datatable_snapshot"
PREVIEW_ROWS = 5


def _spec(name: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=SNAPSHOT_ASSET, description=description)


@dg.asset(
    name=SNAPSHOT_ASSET,
    group_name="genesys_datatables",
    partitions_def=snapshot_partitions,
    pool="genesys_api",
    kinds={"genesys", "parquet", "duckdb"},
    retry_policy=TRANSIENT_RETRY,
    check_specs=[
        _spec(checks.ROWS_MATCH_SERVER, "Rows in the Parquet file equal the rows served."),
        _spec(checks.PRIMARY_KEY_UNIQUE, "No primary-key value occurs twice."),
        _spec(checks.SCHEMA_MATCHES_SERVER, "Columns and types are the server's schema."),
        _spec(checks.SCHEMA_DRIFT, "Warns when columns changed since the previous snapshot."),
    ],
)
def genesys_datatable_snapshot(
    context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.MaterializeResult:
    """One data table as it was on one day, as typed Parquet and a catalog view.

    Pages through the table with cursors, checking the ETag of every page against the first; a
    change mid-way restarts from page one, so a snapshot never mixes two versions of the table.
    Query it as `datatables.<table name>` in `catalog.duckdb`, one `snapshot_date` per day.

    A data table keeps no history: only today's UTC date can be materialised (yesterday's too
    for two hours after midnight, for a late scheduled run). A past date is refused before any
    request, so a backfill never files today's rows under a day they were not taken on.
    """
    keys = context.partition_key.keys_by_dimension  # type: ignore[attr-defined]
    table_id, day = keys[TABLE_DIM], keys[DATE_DIM]
    try:
        result = snapshot_table(
            genesys.datatables_client,
            catalog.layout,
            table_id,
            day,
            run_id=context.run.run_id,
            target=genesys.target("data tables"),
            log=context.log,
        )
    except SnapshotDayRefused as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except SnapshotInconsistent as exc:
        raise dg.Failure(description=str(exc), allow_retries=True) from None
    except ApiError as exc:
        raise dg.Failure(
            description=f"Snapshot of data table {table_id} failed: {exc}",
            allow_retries=exc.transient,
        ) from None
    snap, written = result.snapshot, result.written
    return dg.MaterializeResult(
        metadata=_metadata(snap, written, result.view, result.stats),
        check_results=[
            checks.rows_match_server(written.path, len(snap.rows)),
            checks.primary_key_unique(written.path, snap.schema),
            checks.schema_matches_server(written.path, snap.schema),
            checks.schema_drift(result.previous_columns, result.previous_day, snap.schema),
        ],
    )


def column_schema(schema: TableSchema) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=TYPE_MAP[c.type],
                description="primary key" if c.is_primary_key else None,
            )
            for c in schema.columns
        ]
    )


def preview(rows: list[dict[str, Any]], schema: TableSchema) -> str:
    names = [c.name for c in schema.columns]
    lines = ["| " + " | ".join(names) + " |", "|" + " --- |" * len(names)]
    for row in rows[:PREVIEW_ROWS]:
        cells = ("" if row.get(n) is None else str(row[n]).replace("|", "\\|") for n in names)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _metadata(
    snap: TableSnapshot, written: WrittenFile, view: str, stats: dict[str, Any]
) -> dict[str, Any]:
    return {
        "dagster/row_count": written.rows,
        "dagster/column_schema": column_schema(snap.schema),
        "table_name": snap.schema.name,
        "table_version": snap.schema.version,
        "etag": snap.etag,
        "pages": snap.pages,
        "restarts": snap.restarts,
        "path": dg.MetadataValue.path(str(written.path)),
        "bytes": written.bytes,
        "sha256": written.sha256,
        "catalog_view": view,
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "preview": dg.MetadataValue.md(preview(snap.rows, snap.schema)),
    }
