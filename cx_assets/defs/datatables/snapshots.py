"""Daily snapshots of every Genesys data table: consistent, typed, comparable day to day."""

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg

from cx_assets.catalog.datatables import (
    SnapshotRecord,
    previous_snapshot,
    register_snapshot,
    register_table_view,
)
from cx_assets.defs.datatables import snapshot_checks as checks
from cx_assets.defs.datatables.partitions import DATE_DIM, TABLE_DIM, snapshot_partitions
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.genesys.datatables.models import TableColumn, TableSchema
from cx_assets.genesys.datatables.tutorial import SnapshotInconsistent, TableSnapshot
from cx_assets.http.errors import ApiError
from cx_assets.lake.datatables import TYPE_MAP, WrittenFile, snapshot_path, write_snapshot

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
    """
    keys = context.partition_key.keys_by_dimension  # type: ignore[attr-defined]
    table_id, day = keys[TABLE_DIM], keys[DATE_DIM]
    layout = catalog.layout
    started = dt.datetime.now(dt.UTC)
    context.log.info(
        f"Snapshot of data table {table_id} for {day} from {genesys.describe_target()}"
    )
    try:
        with genesys.datatables_client() as client:
            snap = client.snapshot(table_id)
            stats = client.api.stats.as_dict()
    except SnapshotInconsistent as exc:
        raise dg.Failure(description=str(exc), allow_retries=True) from None
    except ApiError as exc:
        retriable = exc.status in (None, 408, 429) or (exc.status or 0) >= 500
        raise dg.Failure(
            description=f"Snapshot of data table {table_id} failed: {exc}",
            allow_retries=retriable,
        ) from None
    columns = [(c.name, c.type) for c in snap.schema.columns]
    path = snapshot_path(layout, table_id, day)
    written = write_snapshot(path, snap.rows, columns)
    earlier = previous_snapshot(layout.catalog_path, table_id, day)
    record = _record(context, genesys, snap, day, written, layout.root, stats, started)
    register_snapshot(layout.catalog_path, record)
    view = register_table_view(layout.catalog_path, table_id, snap.schema.name)
    if snap.restarts:
        context.log.warning(
            f"The table changed while it was read: restarted {snap.restarts} time(s); "
            f"the snapshot is version {snap.schema.version} (ETag {snap.etag}) throughout"
        )
    previous_columns = [TableColumn.model_validate(c) for c in earlier.columns] if earlier else None
    previous_day = earlier.day.isoformat() if earlier else None
    return dg.MaterializeResult(
        metadata=_metadata(snap, written, view, stats),
        check_results=[
            checks.rows_match_server(written.path, len(snap.rows)),
            checks.primary_key_unique(written.path, snap.schema),
            checks.schema_matches_server(written.path, snap.schema),
            checks.schema_drift(previous_columns, previous_day, snap.schema),
        ],
    )


def _record(
    context: dg.AssetExecutionContext,
    genesys: GenesysCloudResource,
    snap: TableSnapshot,
    day: str,
    written: WrittenFile,
    root: Path,
    stats: dict[str, Any],
    started: dt.datetime,
) -> SnapshotRecord:
    return SnapshotRecord(
        table_id=snap.table_id,
        table_name=snap.schema.name,
        day=dt.date.fromisoformat(day),
        etag=snap.etag,
        version=snap.schema.version,
        row_count=written.rows,
        pages=snap.pages,
        restarts=snap.restarts,
        columns=[c.model_dump(by_alias=True) for c in snap.schema.columns],
        path=written.path.relative_to(root).as_posix(),
        bytes=written.bytes,
        sha256=written.sha256,
        requests=int(stats.get("requests", 0)),
        retries=int(stats.get("retries", 0)),
        throttled=int(stats.get("throttled", 0)),
        is_emulator=genesys.is_emulator,
        api_base_url=genesys.base_urls()[0],
        run_id=context.run.run_id,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
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
