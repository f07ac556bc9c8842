"""Adapters from the CXone client's and the lake's results to the catalog's own records.

The catalog takes plain records of its own and never imports a vendor client; these functions,
used by `flows/cxone.py` (and by tests that compose the pieces by hand), are where a
`RangeExport`, a day's `DayAlignment`/`WrittenDay` and a webhook `SyncResult` become the rows
`cxone_exports`, `cxone_day_metrics` and `cxone_syncs` store.
"""

from __future__ import annotations

from cx_assets.catalog.cxone import (
    CxoneDayRecord,
    CxoneExportRecord,
    CxoneSyncChunk,
    CxoneSyncRecord,
)
from cx_assets.cxone.lake_sync import SyncResult
from cx_assets.cxone.tutorial import RangeExport
from cx_assets.lake.cxone import DayAlignment, WrittenDay


def export_record(
    export: RangeExport, *, status: str = "completed", run_id: str | None = None
) -> CxoneExportRecord:
    """`export` as a `cxone_exports` row."""
    stats = export.request_stats
    return CxoneExportRecord(
        export_id=export.export_id,
        range_start=export.range.first,
        range_end=export.range.last,
        days=export.range.days,
        records=len(export.records),
        pages=export.pages,
        status=status,
        total_reported=export.total_reported,
        latency_s=export.timings.latency_s,
        requests=int(stats.get("requests", 0)),
        throttled=int(stats.get("throttled", 0)),
        retries=int(stats.get("retries", 0)),
        run_id=run_id,
        created_at=export.timings.requested_at,
        finished_at=export.timings.finished_at,
    )


def day_record(export_id: str, alignment: DayAlignment, written: WrittenDay) -> CxoneDayRecord:
    """A day's alignment and its file as a `cxone_day_metrics` row."""
    if alignment.day != written.day:
        raise ValueError(f"alignment of {alignment.day} paired with the file of {written.day}")
    return CxoneDayRecord(
        day=alignment.day,
        export_id=export_id,
        total=alignment.total,
        valid=alignment.valid,
        integrity_rate=alignment.integrity_rate,
        missing_by_field=dict(alignment.missing_by_field),
        path=str(written.path),
        bytes=written.bytes,
        sha256=written.sha256,
    )


def sync_record(result: SyncResult) -> CxoneSyncRecord:
    """A day's webhook delivery as its `cxone_syncs` rows."""
    return CxoneSyncRecord(
        dataset=result.dataset,
        day=result.day,
        chunks=tuple(
            CxoneSyncChunk(
                chunk=c.chunk,
                records=c.records,
                idempotency_key=c.idempotency_key,
                status=c.status,
                sent_at=c.sent_at,
            )
            for c in result.chunks
        ),
    )
