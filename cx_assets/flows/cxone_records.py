"""What a CXone read was, and its adapters to the catalog's own records.

The catalog takes plain records of its own and never imports a vendor client; `ReadSummary`
(built by `flows/cxone_tutorial.py` and `flows/cxone_platform.py`), a day's `BuiltDay` and a
webhook `SyncResult` become the rows `cxone_exports`, `cxone_day_metrics` and `cxone_syncs`
store here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cx_assets.catalog.cxone import (
    CxoneDayRecord,
    CxoneExportRecord,
    CxoneSyncChunk,
    CxoneSyncRecord,
)
from cx_assets.cxone.lake_sync import SyncResult
from cx_assets.cxone.ranges import DayRange
from cx_assets.lake.cxone_columns import CxoneMode
from cx_assets.lake.cxone_days import BuiltDay, DayAlignment, WrittenDay


@dataclass(frozen=True)
class ReadSummary:
    """One read of CXone (an export job, or one day's pull) and what it cost."""

    read_id: str
    api_mode: CxoneMode
    kind: str  # "export" (tutorial), "full" or "late_updates" (platform)
    range: DayRange
    records: int  # records every response held, all days of the read
    pages: int
    quarantined: int
    total_reported: int | None
    started_at: dt.datetime
    finished_at: dt.datetime
    updated_since: dt.datetime | None = None
    request_stats: Mapping[str, int | float] = field(default_factory=dict, hash=False)

    @property
    def latency_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def read_record(
    read: ReadSummary, built: Sequence[BuiltDay], *, run_id: str | None = None
) -> CxoneExportRecord:
    """`read` as a `cxone_exports` row."""
    stats = read.request_stats
    return CxoneExportRecord(
        export_id=read.read_id,
        range_start=read.range.first,
        range_end=read.range.last,
        days=read.range.days,
        records=read.records,
        pages=read.pages,
        status="completed",
        total_reported=read.total_reported,
        latency_s=read.latency_s,
        requests=int(stats.get("requests", 0)),
        throttled=int(stats.get("throttled", 0)),
        retries=int(stats.get("retries", 0)),
        run_id=run_id,
        created_at=read.started_at,
        finished_at=read.finished_at,
        api_mode=read.api_mode,
        kind=read.kind,
        updated_since=read.updated_since,
        replaced=sum(b.replaced for b in built),
        duplicates=sum(b.duplicates for b in built),
    )


def day_record(read_id: str, alignment: DayAlignment, written: WrittenDay) -> CxoneDayRecord:
    """A day's alignment and its file as a `cxone_day_metrics` row."""
    if alignment.day != written.day:
        raise ValueError(f"alignment of {alignment.day} paired with the file of {written.day}")
    return CxoneDayRecord(
        day=alignment.day,
        export_id=read_id,
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
