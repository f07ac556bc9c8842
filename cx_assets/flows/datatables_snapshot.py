"""What a data table snapshot step returns and records, whichever API mode read the table.

Both modes end the same way: the day's Parquet file is written, a `SnapshotRecord` goes to the
catalog, the table's view is refreshed, and the snapshot this one follows (an earlier run
today, else the latest earlier day) is looked up for schema drift. `details` holds what only
one mode knows (tutorial: version, ETag, pages, restarts; platform: the export job and its
counts), shown as metadata as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cx_assets.catalog.datatable_views import register_table_view
from cx_assets.catalog.datatables import (
    SnapshotRecord,
    previous_snapshot,
    register_snapshot,
    snapshot_for,
)
from cx_assets.flows.context import Target
from cx_assets.lake.datatable_columns import SnapshotColumn
from cx_assets.lake.datatables import WrittenFile
from cx_assets.lake.paths import DataLayout


@dataclass(frozen=True)
class SnapshotResult:
    """A snapshot written and recorded, with the previous snapshot's schema (for drift).

    `rows_served` is what the server said the table held (tutorial: the rows it served;
    platform: the export job's `countRecordsProcessed`, None when it gave none)."""

    table_id: str
    table_name: str
    columns: list[SnapshotColumn]
    rows_served: int | None
    written: WrittenFile
    view: str
    stats: dict[str, Any]
    previous_columns: list[SnapshotColumn] | None
    previous_day: str | None
    details: dict[str, Any] = field(default_factory=dict)
    quarantined: int = 0


@dataclass(frozen=True)
class SnapshotRun:
    """Who took the snapshot, when, against what: the parts of the record every mode shares."""

    day: str
    run_id: str
    target: Target
    started: dt.datetime
    api_mode: str


def record_snapshot(
    layout: DataLayout,
    run: SnapshotRun,
    record: SnapshotRecord,
    *,
    rows_served: int | None,
    stats: dict[str, Any],
    written: WrittenFile,
    details: dict[str, Any],
    columns: list[SnapshotColumn] | None = None,
) -> SnapshotResult:
    """Register `record`, refresh the table's view, and return the step's result. `columns`
    (the step's own, with what the catalog does not keep, such as titles) default to the
    record's."""
    catalog = layout.catalog_path
    earlier = snapshot_for(catalog, record.table_id, run.day) or previous_snapshot(
        catalog, record.table_id, run.day
    )
    register_snapshot(catalog, record)
    view = register_table_view(catalog, record.table_id, record.table_name)
    previous = [SnapshotColumn.from_record(c) for c in earlier.columns] if earlier else None
    return SnapshotResult(
        table_id=record.table_id,
        table_name=record.table_name,
        columns=columns or [SnapshotColumn.from_record(c) for c in record.columns],
        rows_served=rows_served,
        written=written,
        view=view,
        stats=stats,
        previous_columns=previous,
        previous_day=earlier.day.isoformat() if earlier else None,
        details=details,
        quarantined=record.quarantined or 0,
    )


def base_record(
    layout: DataLayout,
    run: SnapshotRun,
    *,
    table_id: str,
    table_name: str,
    columns: list[SnapshotColumn],
    written: WrittenFile,
    stats: dict[str, Any],
    **mode_fields: Any,
) -> SnapshotRecord:
    """The catalog record of a snapshot; `mode_fields` are the mode's own columns."""
    return SnapshotRecord(
        table_id=table_id,
        table_name=table_name,
        day=dt.date.fromisoformat(run.day),
        columns=[c.record() for c in columns],
        row_count=written.rows,
        path=written.path.relative_to(layout.root).as_posix(),
        bytes=written.bytes,
        sha256=written.sha256,
        requests=int(stats.get("requests", 0)),
        retries=int(stats.get("retries", 0)),
        throttled=int(stats.get("throttled", 0)),
        is_emulator=run.target.is_emulator,
        api_base_url=run.target.api_base_url,
        run_id=run.run_id,
        started_at=run.started,
        finished_at=dt.datetime.now(dt.UTC),
        api_mode=run.api_mode,
        **mode_fields,
    )
