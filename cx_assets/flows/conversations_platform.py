"""Platform mode's conversation steps: one analytics details job per UTC day, then five tables.

`export_platform_day` runs the day's job and writes every result page exactly as served, with
its SHA-256, into a staging folder that replaces `raw/genesys/conversations/<day>/` in one rename
once the last page has landed; the record beside the pages (`export.json`) is the same
`VerifiedExport` the tutorial mode keeps, so the blocking checksum check and the normalising step
read one shape whichever API landed the day. `publish_platform_day` normalises the pages into the
day's lake folder: `part-0.parquet` (the `conversations` view, same columns as tutorial days)
beside `participants`, `sessions`, `segments` and `metrics`, all swapped in together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from cx_assets.catalog.conversations import ConversationDay
from cx_assets.catalog.failures import record_failure
from cx_assets.flows.context import ProgressLog, Target
from cx_assets.flows.conversations_prepared import (
    PREPARE_MEMORY_LIMIT,
    PagePreparer,
    take_prepared,
)
from cx_assets.flows.crashpoints import crashpoint
from cx_assets.flows.progress import TransferProgress
from cx_assets.genesys.conversations.platform import DetailsJobError, DetailsJobsClient
from cx_assets.genesys.conversations.platform_endpoints import results_path
from cx_assets.genesys.conversations.platform_models import DayResults, PageFile
from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport, VerifiedFileEntry
from cx_assets.http.errors import ApiError
from cx_assets.lake.atomic import discard_on_exit, publish_dir, replace_dir
from cx_assets.lake.conversation_details import normalise_day as normalise_pages
from cx_assets.lake.conversation_details_schema import QUARANTINE_TABLE, DetailsNormaliseResult
from cx_assets.lake.locks import owned_work
from cx_assets.lake.paths import DataLayout

SOURCE = "genesys"
DATASET = "conversations"
PAGES_FORMAT = "details-json"
API_MODE = "platform"
#: The `conversations` table keeps the tutorial mode's file name, so one view reads both modes.
CONVERSATIONS_FILE = "part-0.parquet"

#: Crash point between a lake day's new version and the swap that makes it live.
BEFORE_LAKE_SWAP = "conversations.lake.before_swap"


def partition_owner(day: dt.date) -> str:
    """The day's lock and staging-owner name: one attempt of a day at a time, across runs."""
    return f"{SOURCE}.{DATASET}.{day.isoformat()}"


#: Opens a details-jobs client for one step (and closes it when the step is done).
DetailsClientFactory = Callable[[], AbstractContextManager[DetailsJobsClient]]


def paging_progress(log: ProgressLog, day: dt.date) -> TransferProgress:
    """The details job's progress: pages and conversations so far, bytes and rate (the total
    is unknown until the last page hands back no cursor)."""
    return TransferProgress(log, f"{day} details job", unit="page", record_unit="conversation")


def export_platform_day(
    client_factory: DetailsClientFactory,
    layout: DataLayout,
    day: dt.date,
    *,
    target: Target,
    run_id: str,
    log: ProgressLog,
    prepare: bool = True,
    memory_limit: str = PREPARE_MEMORY_LIMIT,
    progress: TransferProgress | None = None,
) -> tuple[VerifiedExport, Path]:
    """Run the day's details job into a staging folder, then replace the day's raw folder.

    With `prepare`, the pages are normalised as they land and the tables left for the lake step
    (`flows/conversations_prepared.py`). An `ApiError` or `DetailsJobError` is audited in the
    catalog (actor `run_id`) and re-raised; the previous copy of the day stays as it was.
    Progress lines go to `log` through `progress` (default `paging_progress`; it counts from the
    job's first page, so its rate is the paging rate, not the job's wait). Returns the record
    and the raw folder."""
    progress = progress or paging_progress(log, day)
    partition_key = day.isoformat()
    log.info(f"Exporting {day} from {target.description} as an analytics conversation details job")
    raw_dir = layout.raw_dir(SOURCE, DATASET, partition_key)
    owner = partition_owner(day)
    with (
        owned_work(layout, owner),
        discard_on_exit(layout.staging_dir(owner)) as staging,
        discard_on_exit(layout.staging_dir(owner)) as prepared_staging,
        PagePreparer(day, prepared_staging, log=log, memory_limit=memory_limit) as preparer,
    ):
        paged = {"job_id": ""}

        def on_counted(job_id: str, page: PageFile) -> None:
            if job_id != paged["job_id"]:  # the first page, or a resubmitted job's first page
                paged["job_id"] = job_id
                progress.start()
            progress.advance(bytes=page.bytes, records=page.conversations)

        try:
            with client_factory() as client:
                watermark = client.availability()
                on_page = preparer.on_page if prepare else None
                progress.start()
                results = client.fetch_day(day, staging / FILES_DIR, on_page, on_counted=on_counted)
        except (ApiError, DetailsJobError) as exc:
            record_failure(
                layout.catalog_path,
                source=SOURCE,
                dataset=DATASET,
                partition_key=partition_key,
                export_id=getattr(exc, "job_id", None),
                reason=str(exc),
                actor=run_id,
            )
            raise
        record = verified_record(results, target, watermark)
        prepared_dir = layout.prepared_dir(SOURCE, DATASET, partition_key)
        # before raw: a crash between the two leaves tables take_prepared will not match
        prepared = prepare and preparer.publish(results, prepared_dir)
        record.save(staging)
        replace_dir(staging, raw_dir)
    progress.finish()
    final = "final" if is_final(day, record.data_availability) else "PROVISIONAL"
    log.info(
        f"job {record.export_id}: {len(record.files)} page(s), {results.conversations} "
        f"conversation(s), {record.bytes} bytes; data available up to "
        f"{record.data_availability.isoformat() if record.data_availability else 'unknown'}, "
        f"so {day} is {final}"
        + ("; its tables were normalised while it downloaded" if prepared else "")
    )
    return record, raw_dir


def verified_record(results: DayResults, target: Target, watermark: dt.datetime) -> VerifiedExport:
    """The raw folder's record of a day's pages: what the job served, hashed as it was written.

    The watermark is the earlier of the one asked before the job and the one the pages carry:
    a day is final only if the data was complete before the job read it."""
    seen = [t for t in (watermark, results.data_availability) if t is not None]
    return VerifiedExport(
        export_id=results.job_id,
        day=results.day,
        format=PAGES_FORMAT,
        api_base_url=target.api_base_url,
        is_emulator=target.is_emulator,
        requested_at=results.submitted_at,
        completed_at=results.fulfilled_at,
        finished_at=results.finished_at,
        manifest_refreshes=0,
        file_retries=int(results.resubmitted),
        request_stats=dict(results.request_stats or {}),
        files=[
            VerifiedFileEntry(
                name=page.name,
                format=PAGES_FORMAT,
                size=page.bytes,
                sha256=page.sha256,
                partition=results.day.isoformat(),
                record_count=page.conversations,
                uri=results_path(results.job_id),
                attempts=1,
            )
            for page in results.pages
        ],
        api_mode=API_MODE,
        data_availability=min(seen) if seen else None,
    )


def is_final(day: dt.date, data_availability: dt.datetime | None) -> bool:
    """A UTC day is final once analytics data is available up to its end."""
    if data_availability is None:
        return False
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return data_availability >= end


@dataclass(frozen=True)
class PublishedPlatformDay:
    """What normalising a platform day published: counts, the day's lake folder, quarantine."""

    result: DetailsNormaliseResult
    lake_dir: Path
    quarantine_dir: Path
    prepared: bool  # True: the tables the export step normalised while downloading

    @property
    def parquet_path(self) -> Path:
        return self.lake_dir / CONVERSATIONS_FILE


def publish_platform_day(
    record: VerifiedExport,
    layout: DataLayout,
    day: dt.date,
    *,
    memory_limit: str,
    threads: int | None,
) -> PublishedPlatformDay:
    """Swap the day's five tables (and quarantine) into place: the ones normalised while the
    day downloaded when they match `record`, else normalised from the raw pages now. Run it
    holding `owned_work(layout, partition_owner(day))` (as `normalise_day` does)."""
    partition_key = day.isoformat()
    raw_dir = layout.raw_dir(SOURCE, DATASET, partition_key)
    with discard_on_exit(layout.staging_dir(partition_owner(day))) as staging:
        out_dir = staging / "lake"
        prepared_dir = layout.prepared_dir(SOURCE, DATASET, partition_key)
        result = take_prepared(prepared_dir, record, out_dir)
        prepared = result is not None
        if result is None:
            result = normalise_pages(
                raw_dir / FILES_DIR,
                day,
                record.export_id,
                out_dir,
                memory_limit=memory_limit,
                threads=threads,
            )
        quarantine_out = staging / "quarantine"
        quarantine_out.mkdir()
        quarantine_file = out_dir / f"{QUARANTINE_TABLE}.parquet"
        if quarantine_file.exists():
            quarantine_file.rename(quarantine_out / quarantine_file.name)
        (out_dir / "conversations.parquet").rename(out_dir / CONVERSATIONS_FILE)
        lake_dir = layout.lake_partition_dir(SOURCE, DATASET, day)
        publish_dir(out_dir, lake_dir, before_swap=lambda: crashpoint(BEFORE_LAKE_SWAP))
        quarantine_dir = layout.quarantine_dir(SOURCE, DATASET, partition_key)
        replace_dir(quarantine_out, quarantine_dir)
    return PublishedPlatformDay(result, lake_dir, quarantine_dir, prepared)


def conversation_day(record: VerifiedExport, conversations: int) -> ConversationDay:
    """The catalog's completeness row for a landed day (tutorial days have no watermark)."""
    platform = record.api_mode == API_MODE
    return ConversationDay(
        day=record.day,
        api_mode=record.api_mode,
        export_id=record.export_id,
        conversations=conversations,
        data_availability_date=record.data_availability,
        final=is_final(record.day, record.data_availability) if platform else None,
    )
