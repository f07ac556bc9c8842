"""The conversation export steps a user runs: export one day, normalise one day.

The steps the `genesys_conversation_export` and `genesys_conversations` assets run and
benchmarks/export_ingest.py measures, kept here (no Dagster) so all of them run the same code:
client -> verified raw files -> lake -> catalog. `export_day_to_raw` downloads every file of the
day with its SHA-256 checked while streaming and replaces the day's raw folder only once all are
verified; a failure is audited in the catalog and re-raised untouched (`ApiError`,
`ExportError`: the caller decides which a retry could fix). `normalise_day` normalises the raw
files into a staging folder, replaces the day's lake partition and its quarantine folder, each
in one rename, and registers the export in the catalog. A re-run replaces the day whole; a
failure leaves the previous copy in place. Progress lines go to any logger with `info` and
`warning` (Dagster's `context.log` or a `logging.Logger`).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from cx_assets.catalog.conversations import ExportRecord, FileRecord, register_export
from cx_assets.catalog.failures import record_failure
from cx_assets.flows.context import ProgressLog, Target
from cx_assets.flows.conversations_files import FilePreparer, take_parsed
from cx_assets.flows.conversations_platform import (
    BEFORE_LAKE_SWAP,
    CONVERSATIONS_FILE,
    DATASET,
    PAGES_FORMAT,
    SOURCE,
    conversation_day,
    partition_owner,
    publish_platform_day,
)
from cx_assets.flows.crashpoints import crashpoint
from cx_assets.flows.progress import ProgressSummary, TransferProgress
from cx_assets.genesys.conversations.models import Manifest
from cx_assets.genesys.conversations.tutorial import (
    ConversationExportClient,
    DownloadedFile,
    ExportError,
    export_day,
)
from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport
from cx_assets.http.errors import ApiError
from cx_assets.lake.atomic import discard_on_exit, publish_dir, replace_dir
from cx_assets.lake.conversations import (
    DEFAULT_MEMORY_LIMIT,
    merge_parsed,
    normalise_conversations,
)
from cx_assets.lake.conversations_schema import NormaliseResult, RawFile
from cx_assets.lake.locks import owned_work
from cx_assets.lake.paths import DataLayout

PARQUET_NAME = CONVERSATIONS_FILE
QUARANTINE_NAME = "quarantine.jsonl"
#: Crash point between a day's lake folder going live and its export's catalog record.
AFTER_PUBLISH = "conversations.normalise.after_publish"

#: Opens a conversation-export client for one step (and closes it when the step is done).
ExportClientFactory = Callable[[], AbstractContextManager[ConversationExportClient]]


# -- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedDay:
    """A day's export, every file verified and published under `raw_dir` with its record."""

    record: VerifiedExport
    raw_dir: Path
    #: How the download went: files, bytes, records, seconds since the manifest, rates.
    progress: ProgressSummary | None = None


def download_progress(log: ProgressLog, day: dt.date) -> TransferProgress:
    """The tutorial export's progress: manifest files done of total, bytes, rate, ETA."""
    return TransferProgress(log, f"{day} export", unit="file", record_unit="record")


def export_day_to_raw(
    export_client: ExportClientFactory,
    layout: DataLayout,
    day: dt.date,
    *,
    target: Target,
    run_id: str,
    log: ProgressLog,
    progress: TransferProgress | None = None,
) -> ExportedDay:
    """`_export_day_to_raw` holding the day's lock: one attempt of a day at a time, and what a
    crashed attempt left in staging is removed first. Progress lines go to `log` through
    `progress` (default `download_progress`)."""
    progress = progress or download_progress(log, day)
    with owned_work(layout, partition_owner(day)):
        return _export_day_to_raw(
            export_client, layout, day, target=target, run_id=run_id, log=log, progress=progress
        )


def _export_day_to_raw(
    export_client: ExportClientFactory,
    layout: DataLayout,
    day: dt.date,
    *,
    target: Target,
    run_id: str,
    log: ProgressLog,
    progress: TransferProgress,
) -> ExportedDay:
    """Create the day's export, wait for it, download and verify every manifest file into a
    staging folder, then replace `raw/genesys/conversations/<day>/` with it in one rename.

    An `ApiError` or `ExportError` is recorded in the catalog's audit log (actor `run_id`), then
    re-raised; the previous copy of the day stays as it was."""
    partition_key = day.isoformat()
    log.info(f"Exporting {day} from {target.description}")
    raw_dir = layout.raw_dir(SOURCE, DATASET, partition_key)
    with (
        discard_on_exit(layout.staging_dir()) as staging,
        discard_on_exit(layout.staging_dir()) as parse_staging,
        FilePreparer(day, parse_staging, log=log) as preparer,
    ):

        def on_manifest(manifest: Manifest) -> None:
            progress.start(items=len(manifest.files), bytes=sum(f.size for f in manifest.files))

        def on_file(done: DownloadedFile) -> None:
            preparer.on_file(done)
            progress.advance(bytes=done.manifest.size, records=done.manifest.recordCount or 0)

        try:
            with export_client() as client:
                result = export_day(
                    client, day, staging / FILES_DIR, on_file=on_file, on_manifest=on_manifest
                )
                stats = client.api.stats.as_dict()
        except (ApiError, ExportError) as exc:
            record_failure(
                layout.catalog_path,
                source=SOURCE,
                dataset=DATASET,
                partition_key=partition_key,
                export_id=None,
                reason=str(exc),
                actor=run_id,
            )
            raise
        record = VerifiedExport.from_day_export(
            result,
            api_base_url=target.api_base_url,
            is_emulator=target.is_emulator,
            request_stats=stats,
        )
        # before raw: a crash between the two leaves parsed files take_parsed will not match
        parsed = preparer.publish(record, layout.prepared_dir(SOURCE, DATASET, partition_key))
        record.save(staging)
        replace_dir(staging, raw_dir)
    summary = progress.finish()
    log.info(
        f"export {record.export_id}: {len(record.files)} file(s), {record.bytes} bytes verified"
        + ("; its files were parsed while it downloaded" if parsed else "")
    )
    return ExportedDay(record, raw_dir, summary)


# -- normalise --------------------------------------------------------------------------------


class NoVerifiedExport(LookupError):
    """The day has no verified raw export to normalise (its export step has not run)."""


@dataclass(frozen=True)
class PublishedDay:
    """What normalising one day published: the counts, the Parquet file and quarantine folder."""

    result: NormaliseResult
    parquet_path: Path
    quarantine_dir: Path
    #: True: merged from the files the export step parsed while downloading.
    parsed_while_downloading: bool = False


@dataclass(frozen=True)
class NormalisedDay:
    """A day normalised into the lake and registered, whichever API mode landed it.

    `rows` + `quarantined` account for every record the raw files hold; `tables` maps each lake
    table the day published (`conversations` first; platform days add participants, sessions,
    segments and metrics) to its Parquet file and rows. `export.finished_at` is when publishing
    ended."""

    record: VerifiedExport
    rows: int
    quarantined: int
    tables: dict[str, tuple[Path, int]]
    quarantine_dir: Path
    export: ExportRecord
    #: "while downloading" (tables the export step prepared) or "from raw" (this step).
    normalised: str = "from raw"

    @property
    def parquet_path(self) -> Path:
        return self.tables[DATASET][0]


def normalise_day(
    layout: DataLayout,
    day: dt.date,
    *,
    run_id: str,
    log: ProgressLog,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> NormalisedDay:
    """Normalise the day's verified raw files, publish them, and register the day in the catalog.

    Tutorial-mode files (JSONL/CSV) become the `conversations` table; platform-mode result pages
    become it and four more. Raises `NoVerifiedExport` when the day has no verified raw export."""
    with owned_work(layout, partition_owner(day)):
        return _normalise_day(
            layout, day, run_id=run_id, log=log, memory_limit=memory_limit, threads=threads
        )


def _normalise_day(
    layout: DataLayout,
    day: dt.date,
    *,
    run_id: str,
    log: ProgressLog,
    memory_limit: str,
    threads: int | None,
) -> NormalisedDay:
    partition_key = day.isoformat()
    raw_dir = layout.raw_dir(SOURCE, DATASET, partition_key)
    try:
        record = VerifiedExport.load(raw_dir)
    except FileNotFoundError:
        raise NoVerifiedExport(f"no verified export for {day} in {raw_dir}") from None
    how = "from raw"
    if record.format == PAGES_FORMAT:
        platform = publish_platform_day(
            record, layout, day, memory_limit=memory_limit, threads=threads
        )
        rows = platform.result.rows[DATASET]
        quarantined = platform.result.conversations_read - rows
        tables = {DATASET: (platform.parquet_path, rows)} | {
            name: (platform.lake_dir / f"{name}.parquet", count)
            for name, count in platform.result.rows.items()
            if name != DATASET
        }
        quarantine_dir = platform.quarantine_dir
        how = "while downloading" if platform.prepared else "from raw"
        log.info(
            f"{day}: {rows} conversation(s) published, normalised {how} (job {record.export_id})"
        )
    else:
        published = normalise_and_publish(
            record, layout, day, memory_limit=memory_limit, threads=threads
        )
        rows, quarantined = published.result.row_count, published.result.quarantined
        tables = {DATASET: (published.parquet_path, rows)}
        quarantine_dir = published.quarantine_dir
        how = "while downloading" if published.parsed_while_downloading else "from raw"
        log.info(f"{day}: {rows} conversation(s) published, parsed {how} ({record.export_id})")
    export = export_record(record, partition_key, rows, quarantined, run_id)
    crashpoint(AFTER_PUBLISH)  # the views show a day only once its export is registered
    register_export(
        layout.catalog_path,
        export,
        file_records(record, partition_key, raw_dir / FILES_DIR),
        actor=run_id,
        day=conversation_day(record, rows),
    )
    if quarantined:
        log.warning(
            f"{quarantined} record(s) quarantined in {quarantine_dir} (file, position, reason)"
        )
    return NormalisedDay(record, rows, quarantined, tables, quarantine_dir, export, how)


def normalise_and_publish(
    record: VerifiedExport,
    layout: DataLayout,
    day: dt.date,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> PublishedDay:
    """Normalise the day's verified raw files (under `layout.raw_dir`) and publish the result:
    a merge of the files the export step parsed while downloading when they match `record`,
    else a parse of the raw files first."""
    partition_key = day.isoformat()
    raw_dir = layout.raw_dir(SOURCE, DATASET, partition_key)
    prepared_dir = layout.prepared_dir(SOURCE, DATASET, partition_key)
    files = [
        RawFile(
            path=raw_dir / FILES_DIR / f.name,
            format=f.format,  # type: ignore[arg-type]
            name=f.name,
            record_count=f.record_count,
        )
        for f in record.files
    ]
    with discard_on_exit(layout.staging_dir()) as staging:
        out_file = staging / "lake" / PARQUET_NAME
        quarantine_file = staging / "quarantine" / QUARANTINE_NAME
        out_file.parent.mkdir(parents=True)
        quarantine_file.parent.mkdir(parents=True)
        parsed = take_parsed(prepared_dir, record)
        if parsed is not None:
            result = merge_parsed(
                files,
                parsed,
                export_id=record.export_id,
                out_file=out_file,
                quarantine_file=quarantine_file,
                memory_limit=memory_limit,
                threads=threads,
            )
        else:
            result = normalise_conversations(
                files,
                day=day,
                export_id=record.export_id,
                out_file=out_file,
                quarantine_file=quarantine_file,
                memory_limit=memory_limit,
                threads=threads,
            )
        lake_dir = layout.lake_partition_dir(SOURCE, DATASET, day)
        publish_dir(out_file.parent, lake_dir, before_swap=lambda: crashpoint(BEFORE_LAKE_SWAP))
        quarantine_dir = layout.quarantine_dir(SOURCE, DATASET, partition_key)
        replace_dir(quarantine_file.parent, quarantine_dir)
    shutil.rmtree(prepared_dir, ignore_errors=True)
    return PublishedDay(result, lake_dir / PARQUET_NAME, quarantine_dir, parsed is not None)


# -- catalog records --------------------------------------------------------------------------


def export_record(
    record: VerifiedExport, partition_key: str, rows: int, quarantined: int, run_id: str
) -> ExportRecord:
    """The catalog's row for one normalised export (status VERIFIED)."""
    stats = record.request_stats
    return ExportRecord(
        export_id=record.export_id,
        source=SOURCE,
        dataset=DATASET,
        partition_key=partition_key,
        status="VERIFIED",
        format=record.format,
        api_base_url=record.api_base_url,
        is_emulator=record.is_emulator,
        requested_at=record.requested_at,
        completed_at=record.completed_at,
        started_at=record.requested_at,
        finished_at=dt.datetime.now(dt.UTC),
        file_count=len(record.files),
        bytes=record.bytes,
        row_count=rows,
        quarantined_count=quarantined,
        requests=int(stats.get("requests", 0)),
        retries=int(stats.get("retries", 0)) + record.file_retries,
        throttled=int(stats.get("throttled", 0)),
        run_id=run_id,
    )


def file_records(record: VerifiedExport, partition_key: str, files_dir: Path) -> list[FileRecord]:
    """The catalog's rows for the export's files, each with its verified size and SHA-256."""
    return [
        FileRecord(
            export_id=record.export_id,
            source=SOURCE,
            dataset=DATASET,
            partition_key=partition_key,
            name=f.name,
            uri=f.uri,
            size=f.size,
            sha256=f.sha256,
            record_count=f.record_count,
            raw_path=str(files_dir / f.name),
        )
        for f in record.files
    ]
