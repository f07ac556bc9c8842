"""NICE CXone analytics client: request models, 90-day range splitting, the export protocol
and the data-lake webhook sync. Plain library: no Dagster here."""

from cx_assets.cxone.lake_sync import SyncedChunk, SyncResult, idempotency_key, sync_day
from cx_assets.cxone.models import DateRange, ExportJob, ExportRequest
from cx_assets.cxone.ranges import MAX_RANGE_DAYS, DayRange, split_days
from cx_assets.cxone.tutorial import (
    CxoneExportClient,
    CxoneExportError,
    CxoneExportFailed,
    CxoneExportSettings,
    CxoneExportTimeout,
    ExportTimings,
    FormatMismatch,
    RangeExport,
)

__all__ = [
    "MAX_RANGE_DAYS",
    "CxoneExportClient",
    "CxoneExportError",
    "CxoneExportFailed",
    "CxoneExportSettings",
    "CxoneExportTimeout",
    "DateRange",
    "DayRange",
    "ExportJob",
    "ExportRequest",
    "ExportTimings",
    "FormatMismatch",
    "RangeExport",
    "SyncResult",
    "SyncedChunk",
    "idempotency_key",
    "split_days",
    "sync_day",
]
