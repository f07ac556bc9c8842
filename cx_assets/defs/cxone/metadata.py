"""What people read in the UI for each day of `cxone_interactions`."""

from __future__ import annotations

from typing import Any

import dagster as dg

from cx_assets.flows.cxone import LandedDay
from cx_assets.lake.cxone_columns import INTERACTION_COLUMNS
from cx_assets.lake.cxone_days import VIEW_NAME


def column_schema() -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=typ, description=description)
            for name, typ, description in INTERACTION_COLUMNS
        ]
    )


def run_metadata(target: str, mode: str, is_emulator: bool, api_base: str) -> dict[str, Any]:
    """Shared by every day of the run: where the data came from."""
    return {
        "dagster/column_schema": column_schema(),
        "dagster/table_name": VIEW_NAME,
        "target": target,
        "api_mode": mode,
        "api_base_url": api_base,
        "emulator": is_emulator,
    }


def day_metadata(landed: LandedDay) -> dict[str, Any]:
    a, built, read = landed.alignment, landed.built, landed.read
    stats = read.request_stats
    meta: dict[str, Any] = {
        "dagster/row_count": built.written.rows,
        "dagster/partition_row_count": built.written.rows,
        "total": a.total,
        "valid": a.valid,
        "integrity_rate": a.integrity_rate,
        "missing_fields": {k: v for k, v in a.missing_by_field.items() if v},
        "read_id": read.read_id,
        "read_kind": read.kind,
        "read_range": str(read.range),
        "responses": read.pages,
        "records_received": built.received,
        "rows_replaced": built.replaced,
        "served_twice": built.duplicates,
        "read_latency_s": round(read.latency_s, 3),
        "requests": int(stats.get("requests", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "retries": int(stats.get("retries", 0)),
        "parquet": dg.MetadataValue.path(str(built.written.path)),
        "bytes": built.written.bytes,
        "sha256": built.written.sha256,
    }
    if read.updated_since is not None:
        meta["updated_since"] = read.updated_since.isoformat()
    if landed.synced_records is not None:
        meta["synced_records"] = landed.synced_records
    return meta
