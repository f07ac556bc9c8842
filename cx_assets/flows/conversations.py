"""One day's verified raw conversation export, normalised into the lake and published whole.

The step the `genesys_conversations` asset runs and benchmarks/export_ingest.py measures, kept
here (no Dagster) so both run the same code: normalise the raw files into a staging folder, then
replace the day's lake partition and its quarantine folder, each in one rename. A re-run
replaces the day whole; a failure leaves the previous copy in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport
from cx_assets.lake.atomic import discard_on_exit, replace_dir
from cx_assets.lake.conversations import (
    DEFAULT_MEMORY_LIMIT,
    NormaliseResult,
    RawFile,
    normalise_conversations,
)
from cx_assets.lake.paths import DataLayout

SOURCE = "genesys"
DATASET = "conversations"
PARQUET_NAME = "part-0.parquet"
QUARANTINE_NAME = "quarantine.jsonl"


@dataclass(frozen=True)
class PublishedDay:
    """What normalising one day published: the counts, the Parquet file and quarantine folder."""

    result: NormaliseResult
    parquet_path: Path
    quarantine_dir: Path


def normalise_and_publish(
    record: VerifiedExport,
    layout: DataLayout,
    day: dt.date,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> PublishedDay:
    """Normalise the day's verified raw files (under `layout.raw_dir`) and publish the result."""
    partition_key = day.isoformat()
    raw_dir = layout.raw_dir(SOURCE, DATASET, partition_key)
    with discard_on_exit(layout.staging_dir()) as staging:
        out_file = staging / "lake" / PARQUET_NAME
        quarantine_file = staging / "quarantine" / QUARANTINE_NAME
        out_file.parent.mkdir(parents=True)
        quarantine_file.parent.mkdir(parents=True)
        result = normalise_conversations(
            [
                RawFile(
                    path=raw_dir / FILES_DIR / f.name,
                    format=f.format,  # type: ignore[arg-type]
                    name=f.name,
                    record_count=f.record_count,
                )
                for f in record.files
            ],
            day=day,
            export_id=record.export_id,
            out_file=out_file,
            quarantine_file=quarantine_file,
            memory_limit=memory_limit,
            threads=threads,
        )
        lake_dir = layout.lake_partition_dir(SOURCE, DATASET, day)
        replace_dir(out_file.parent, lake_dir)
        quarantine_dir = layout.quarantine_dir(SOURCE, DATASET, partition_key)
        replace_dir(quarantine_file.parent, quarantine_dir)
    return PublishedDay(result, lake_dir / PARQUET_NAME, quarantine_dir)
