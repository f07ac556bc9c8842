"""Turn export results into what people read in Dagster: metadata, column schema, preview.

The catalog's records of the same results are built in `flows.conversations`.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from cx_assets.flows.conversations import NormalisedDay
from cx_assets.flows.conversations_platform import is_final
from cx_assets.genesys.conversations.verified import VerifiedExport
from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS

PREVIEW_ROWS = 5


def _request_metadata(record: VerifiedExport) -> dict[str, dg.RawMetadataValue]:
    stats = record.request_stats
    return {
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "file_retries": record.file_retries,
        "manifest_refreshes": record.manifest_refreshes,
    }


def export_metadata(record: VerifiedExport, raw_dir: Path) -> dict[str, dg.RawMetadataValue]:
    watermark = record.data_availability
    return {
        "export_id": record.export_id,
        "api_mode": record.api_mode,
        "api_base_url": record.api_base_url,
        "emulator": record.is_emulator,
        "data_availability_date": watermark.isoformat() if watermark else "none (tutorial mode)",
        "day_status": _day_status(record),
        "files": len(record.files),
        "bytes": record.bytes,
        "sha256": dg.MetadataValue.md(
            "\n".join(f"- `{f.name}` {f.size} B `{f.sha256}`" for f in record.files) or "none"
        ),
        "raw_dir": dg.MetadataValue.path(str(raw_dir)),
        "export_seconds": round((record.finished_at - record.requested_at).total_seconds(), 3),
        **_request_metadata(record),
    }


def _day_status(record: VerifiedExport) -> str:
    if record.data_availability is None:
        return "unknown"
    return "final" if is_final(record.day, record.data_availability) else "provisional"


def column_schema() -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c.name, type=c.type, description=c.description)
            for c in CONVERSATION_COLUMNS
        ]
    )


def preview(parquet_path: Path) -> str:
    frame = pl.read_parquet(
        parquet_path,
        columns=[
            "conversation_id",
            "originating_direction",
            "media_type",
            "start_time",
            "duration_ms",
        ],
        n_rows=PREVIEW_ROWS,  # not the whole day: a 4 GB day's columns are ~300 MB
    )
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *rows])


def conversations_metadata(
    record: VerifiedExport, normalised: NormalisedDay
) -> dict[str, dg.RawMetadataValue]:
    parquet_path = normalised.parquet_path
    return {
        "dagster/row_count": normalised.rows,
        "dagster/partition_row_count": normalised.rows,
        "dagster/column_schema": column_schema(),
        "dagster/table_name": "conversations",
        "export_id": record.export_id,
        "api_mode": record.api_mode,
        "emulator": record.is_emulator,
        "day_status": _day_status(record),
        "rows_quarantined": normalised.quarantined,
        "normalised": normalised.normalised,
        "table_rows": dg.MetadataValue.md(
            "\n".join(f"- `{name}`: {rows}" for name, (_, rows) in normalised.tables.items())
        ),
        "bytes_in": record.bytes,
        "parquet": dg.MetadataValue.path(str(parquet_path)),
        "preview": dg.MetadataValue.md(preview(parquet_path)),
        **_request_metadata(record),
    }
