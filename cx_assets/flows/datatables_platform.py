"""Platform-mode data table steps: a snapshot through an export job, an import through a CSV job.

A snapshot is one export job (`DataTablesPlatformClient.export_table`): the server's consistent
copy of the table at the instant the job was created, typed by the table's JSON Schema and
streamed into the day's Parquet file. Rows whose cells do not fit their property's type go to
`quarantine/genesys/datatables/<table id>/<day>.parquet` (row number, field, reason, the row as
served) instead of the file, and the `rows_match_server` check then fails: the file does not
hold every row the job processed. The import step lives in `datatables_platform_import.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

from cx_assets.flows.context import ProgressLog, Target
from cx_assets.flows.datatables import quarantine_rows
from cx_assets.flows.datatables_history import check_snapshot_day
from cx_assets.flows.datatables_progress import watching
from cx_assets.flows.datatables_snapshot import (
    SnapshotResult,
    SnapshotRun,
    base_record,
    record_snapshot,
)
from cx_assets.flows.progress import TransferProgress
from cx_assets.genesys.datatables.platform import DataTablesPlatformClient, PlatformTable
from cx_assets.genesys.datatables.platform_schema import describe_table
from cx_assets.lake.datatable_columns import SnapshotColumn
from cx_assets.lake.datatables import (
    describe_file,
    snapshot_path,
    snapshot_quarantine_path,
    write_quarantine,
)
from cx_assets.lake.paths import DataLayout

#: Opens a platform data tables client for one step (and closes it when the step is done).
PlatformClientFactory = Callable[[], AbstractContextManager[DataTablesPlatformClient]]


def snapshot_columns(table: PlatformTable) -> list[SnapshotColumn]:
    """The table's properties as snapshot columns, in the file's order (`key` first)."""
    return [SnapshotColumn(c.name, c.type, c.is_key, c.title) for c in table.columns.columns]


def snapshot_platform_table(
    client_factory: PlatformClientFactory,
    layout: DataLayout,
    table_id: str,
    day: str,
    *,
    run_id: str,
    target: Target,
    log: ProgressLog,
    table_name: str = "",
) -> SnapshotResult:
    """Export `table_id` into the day's Parquet file, quarantine what would not type, record it.
    `table_name` (the name the partition key shows) names the table in progress lines until
    the server's own name is known.

    Refuses (`SnapshotDayRefused`, before any request) a `day` the snapshot would not show."""
    run = SnapshotRun(day, run_id, target, dt.datetime.now(dt.UTC), "platform")
    check_snapshot_day(dt.date.fromisoformat(day), now=run.started)
    label = describe_table(table_name, table_id)
    log.info(f"Snapshot of {label} for {day} from {target.description}")
    path = snapshot_path(layout, table_id, day)
    progress = TransferProgress(log, f"Snapshot of {label}", unit="request")
    with client_factory() as client:
        with watching(progress, client.api.stats.as_dict, count_requests=True):
            table = client.get_table(table_id)
            progress.what = f"Snapshot of {table.describe()} (export job)"
            export = client.export_table(table, path)
        stats = client.api.stats.as_dict()
    done = progress.finish()
    quarantine_file = snapshot_quarantine_path(layout, table_id, day)
    if export.quarantined:
        written_q = write_quarantine(quarantine_file, quarantine_rows(export.quarantined))
        log.warning(
            f"{table.describe()}: {len(export.quarantined)} row(s) of export job "
            f"{export.job_id} did not fit the schema; quarantined in {written_q.path}"
        )
    else:
        quarantine_file.unlink(missing_ok=True)  # a re-run today replaces an earlier one's
    if export.ignored_columns:
        log.warning(
            f"{table.describe()}: the export had column(s) the schema does not name, ignored: "
            f"{', '.join(export.ignored_columns)}"
        )
    written = describe_file(path, export.rows)
    columns = snapshot_columns(table)
    details = {
        "table_description": table.description or "none given in Genesys",
        "export_job_id": export.job_id,
        "records_processed": export.records_processed,
        "export_csv_bytes": export.csv_bytes,
        "download_attempts": export.attempts,
        "seconds": done.seconds,
    }
    record = base_record(
        layout,
        run,
        table_id=table.id,
        table_name=table.name,
        columns=columns,
        written=written,
        stats=stats,
        etag=None,
        version=None,
        pages=0,
        restarts=0,
        export_job_id=export.job_id,
        records_processed=export.records_processed,
        quarantined=len(export.quarantined),
    )
    return record_snapshot(
        layout,
        run,
        record,
        rows_served=export.records_processed,
        stats=stats,
        written=written,
        details=details,
        columns=columns,
    )
