"""What people read in the UI for each day of `cxone_interactions`."""

from __future__ import annotations

from typing import Any

import dagster as dg

from cx_assets.flows.cxone import LandedDay
from cx_assets.lake.cxone import INTERACTION_COLUMNS, VIEW_NAME


def column_schema() -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(name=name, type=typ) for name, typ in INTERACTION_COLUMNS]
    )


def run_metadata(target: str, is_emulator: bool) -> dict[str, Any]:
    """Shared by every day of the run."""
    return {
        "dagster/column_schema": column_schema(),
        "dagster/table_name": VIEW_NAME,
        "target": target,
        "emulator": is_emulator,
    }


def day_metadata(landed: LandedDay) -> dict[str, Any]:
    a = landed.alignment
    stats = landed.export_request_stats
    meta: dict[str, Any] = {
        "dagster/row_count": landed.written.rows,
        "dagster/partition_row_count": landed.written.rows,
        "total": a.total,
        "valid": a.valid,
        "integrity_rate": a.integrity_rate,
        "missing_fields": {k: v for k, v in a.missing_by_field.items() if v},
        "export_id": landed.export_id,
        "export_range": str(landed.export_range),
        "export_pages": landed.export_pages,
        "export_latency_s": round(landed.export_latency_s, 3),
        "requests": int(stats.get("requests", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "retries": int(stats.get("retries", 0)),
        "parquet": dg.MetadataValue.path(str(landed.written.path)),
        "bytes": landed.written.bytes,
        "sha256": landed.written.sha256,
    }
    if landed.synced_records is not None:
        meta["synced_records"] = landed.synced_records
    return meta
