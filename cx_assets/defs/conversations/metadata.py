"""Turn export results into what people read in Dagster: metadata, column schema, preview.

The catalog's records of the same results are built in `flows.conversations`.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from cx_assets.flows.conversations import NormalisedDay
from cx_assets.flows.conversations_platform import DATASET, is_final
from cx_assets.flows.progress import ProgressSummary
from cx_assets.genesys.conversations.verified import VerifiedExport
from cx_assets.lake.conversation_details_schema import TABLES
from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS, Column

PREVIEW_ROWS = 5
#: The catalog view each lake table is queried through.
VIEW_NAMES = {
    name: "conversations" if name == DATASET else f"conversation_{name}" for name in TABLES
}


def _request_metadata(record: VerifiedExport) -> dict[str, dg.RawMetadataValue]:
    stats = record.request_stats
    return {
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "file_retries": record.file_retries,
        "manifest_refreshes": record.manifest_refreshes,
    }


def export_metadata(
    record: VerifiedExport, raw_dir: Path, progress: ProgressSummary
) -> dict[str, dg.RawMetadataValue]:
    """What the export step shows; the numbers (files, bytes, seconds, MB/s, requests, retries,
    429s) are charted per day on the Plots tab."""
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
        "conversations_served": sum(f.record_count or 0 for f in record.files),
        # the transfer alone (from the manifest or the first page), as the progress lines said
        "download_seconds": dg.MetadataValue.float(progress.seconds),
        "mb_per_s": dg.MetadataValue.float(progress.mb_per_s),
        **_request_metadata(record),
    }


def _day_status(record: VerifiedExport) -> str:
    if record.data_availability is None:
        return "unknown"
    return "final" if is_final(record.day, record.data_availability) else "provisional"


def column_schema(columns: tuple[Column, ...] = CONVERSATION_COLUMNS) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c.name, type=c.type, description=c.description) for c in columns
        ]
    )


def definition_metadata() -> dict[str, dg.RawMetadataValue]:
    """Shown on the asset before anything ran: the `conversations` columns (the UI's Columns
    table) and, as one schema entry per table, the four tables platform-mode days add."""
    return {
        "dagster/column_schema": column_schema(),
        "dagster/table_name": VIEW_NAMES[DATASET],
        **{
            f"columns: {VIEW_NAMES[name]}": dg.MetadataValue.table_schema(column_schema(columns))
            for name, columns in TABLES.items()
            if name != DATASET
        },
    }


def handle_times(parquet_path: Path) -> dict[str, dg.RawMetadataValue]:
    """The day's handle and talk time (total hours, average seconds per conversation that has
    one), for the Plots tab. Two columns of the day's file: cheap next to normalising it. A
    file whose columns are not as declared gets none: `schema_conforms` says what is wrong."""
    try:
        totals = (
            pl.scan_parquet(parquet_path)
            .select(
                pl.col("handle_ms").cast(pl.Int64, strict=True).sum().alias("handle_total"),
                pl.col("handle_ms").cast(pl.Int64, strict=True).mean().alias("handle_avg"),
                pl.col("talk_ms").cast(pl.Int64, strict=True).sum().alias("talk_total"),
                pl.col("talk_ms").cast(pl.Int64, strict=True).mean().alias("talk_avg"),
            )
            .collect()
            .row(0, named=True)
        )
    except pl.exceptions.PolarsError:
        return {}
    return {
        "handle_hours_total": dg.MetadataValue.float(
            round((totals["handle_total"] or 0) / 3.6e6, 3)
        ),
        "handle_seconds_avg": dg.MetadataValue.float(round((totals["handle_avg"] or 0) / 1000, 1)),
        "talk_hours_total": dg.MetadataValue.float(round((totals["talk_total"] or 0) / 3.6e6, 3)),
        "talk_seconds_avg": dg.MetadataValue.float(round((totals["talk_avg"] or 0) / 1000, 1)),
    }


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
    record: VerifiedExport, normalised: NormalisedDay, seconds: float
) -> dict[str, dg.RawMetadataValue]:
    """What the lake step shows; conversations, quarantined rows, handle and talk time, bytes,
    requests, retries, 429s and seconds are charted per day on the Plots tab."""
    parquet_path = normalised.parquet_path
    return {
        "dagster/row_count": normalised.rows,
        "dagster/partition_row_count": normalised.rows,
        "dagster/column_schema": column_schema(),
        "dagster/table_name": "conversations",
        "conversations": normalised.rows,
        **handle_times(parquet_path),
        "normalise_seconds": dg.MetadataValue.float(round(seconds, 3)),
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
