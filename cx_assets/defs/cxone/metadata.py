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
    """One day's materialization metadata. Every number is typed (`MetadataValue.int/float`) so
    the asset's Plots tab charts it per day: contacts, integrity, rows, bytes, requests, 429s.
    Request figures belong to the read: a tutorial export covering several days repeats its
    figures on each of them (`read_days` says how many)."""
    a, built, read = landed.alignment, landed.built, landed.read
    stats = read.request_stats
    seconds = read.latency_s
    meta: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(built.written.rows),
        "dagster/partition_row_count": dg.MetadataValue.int(built.written.rows),
        "contacts": dg.MetadataValue.int(built.written.rows),
        "total": dg.MetadataValue.int(a.total),
        "valid": dg.MetadataValue.int(a.valid),
        "integrity_rate": dg.MetadataValue.float(a.integrity_rate),
        "missing_fields": {k: v for k, v in a.missing_by_field.items() if v},
        "read_id": read.read_id,
        "read_kind": read.kind,
        "read_range": str(read.range),
        "read_days": dg.MetadataValue.int(read.range.days),
        "responses": dg.MetadataValue.int(read.pages),
        "records_received": dg.MetadataValue.int(built.received),
        "rows_replaced": dg.MetadataValue.int(built.replaced),
        "served_twice": dg.MetadataValue.int(built.duplicates),
        "read_latency_s": dg.MetadataValue.float(round(seconds, 3)),
        "records_per_s": dg.MetadataValue.float(
            round(read.records / seconds, 1) if seconds > 0 else 0.0
        ),
        "requests": dg.MetadataValue.int(int(stats.get("requests", 0))),
        "throttled_429": dg.MetadataValue.int(int(stats.get("throttled", 0))),
        "retries": dg.MetadataValue.int(int(stats.get("retries", 0))),
        "parquet": dg.MetadataValue.path(str(built.written.path)),
        "bytes": dg.MetadataValue.int(built.written.bytes),
        "sha256": built.written.sha256,
    }
    if read.updated_since is not None:
        meta["updated_since"] = read.updated_since.isoformat()
    if landed.synced_records is not None:
        meta["synced_records"] = dg.MetadataValue.int(landed.synced_records)
    return meta
