"""CXone tutorial mode: analytics export jobs of up to 90 days, paged to disk, split by day.

`plan_exports` turns a run's days into as few export jobs as the API's 90-day limit and any gaps
allow; `land_exports` starts each job, writes every data page to disk as it arrives and places
its records in their days (`lake/cxone_reads.py`: records dated elsewhere go to quarantine),
publishes each requested day as its own Parquet file, registers the export and its days in the
catalog, and syncs each day to the data-lake webhook when one is given. Memory holds one page,
whatever the range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from cx_assets.cxone.ranges import DayRange, split_days
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportError, Paging
from cx_assets.flows.context import ProgressLog
from cx_assets.flows.cxone import (
    DEFAULT_CHUNK_SIZE,
    LandedDay,
    ReadFailed,
    audit_failure,
    landed_days,
    register_read,
    sync_day,
)
from cx_assets.flows.cxone_progress import expect_records, export_progress
from cx_assets.flows.cxone_records import ReadSummary
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.lake.cxone_columns import TUTORIAL, instant
from cx_assets.lake.cxone_days import BuiltDay
from cx_assets.lake.cxone_reads import Fallback, ReadSink
from cx_assets.lake.paths import DataLayout

RAW_DATASET = "exports"


def plan_exports(days: Sequence[dt.date], *, target: str, log: ProgressLog) -> list[DayRange]:
    """The export jobs for `days`; logs how many, from where (`target` describes the API)."""
    ranges = split_days(days)
    log.info(
        f"{len(days)} day(s) from {target} as {len(ranges)} export job(s): "
        + ", ".join(map(str, ranges))
    )
    return ranges


def land_exports(
    client: CxoneExportClient,
    ranges: Sequence[DayRange],
    layout: DataLayout,
    *,
    run_id: str,
    log: ProgressLog,
    webhook: tuple[ApiClient, str] | None = None,
    webhook_chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> list[LandedDay]:
    """Export and land each range; every requested day in order. Raises `ReadFailed` or
    `WebhookSyncFailed` at the first step that fails (days landed before it stay landed)."""
    landed: list[LandedDay] = []
    for days in ranges:
        read, built = _export(client, days, layout, run_id=run_id, log=log)
        register_read(layout, read, built, run_id=run_id)
        synced: dict[dt.date, int] = {}
        if webhook is not None:
            for b in built:
                synced[b.written.day] = sync_day(
                    webhook, b, "tutorial", layout, run_id=run_id, chunk_size=webhook_chunk_size
                )
        landed.extend(landed_days(read, built, synced))
    return landed


def _end_day(wanted: set[dt.date]) -> Fallback:
    """A record without `startTime` belongs to its `endTime` day, if that one was asked for."""

    def fallback(record: Mapping[str, Any]) -> dt.date | None:
        end = instant(record.get("endTime"))
        return end.date() if end is not None and end.date() in wanted else None

    return fallback


def _export(
    client: CxoneExportClient, days: DayRange, layout: DataLayout, *, run_id: str, log: ProgressLog
) -> tuple[ReadSummary, list[BuiltDay]]:
    """One export job paged into its days; a failure is audited in the catalog, then raised."""
    export_id: str | None = None
    before = client.api.stats.snapshot()
    try:
        started = client.start(days)
        export_id = started.job.id
        paging = Paging()
        progress = export_progress(log, export_id, days)
        expect_records(progress, started.job.totalRecords, client.settings.page_size)
        with ReadSink(
            layout,
            TUTORIAL,
            days.dates(),
            read_id=export_id,
            raw_dataset=RAW_DATASET,
            raw_partition=f"{days.first}_{days.last}",
            fallback=_end_day(set(days.dates())),
        ) as sink:
            for page in client.pages(export_id, paging=paging):
                sink.add(page.content, page.records)
                expect_records(progress, paging.total, client.settings.page_size)
                progress.advance(bytes=len(page.content), records=len(page.records))
            built = sink.finish()
        progress.finish()
    except (ApiError, CxoneExportError, ValueError) as exc:
        if isinstance(exc, CxoneExportError):  # failed or timed out while waiting: it has an id
            export_id = export_id or exc.export_id
        audit_failure(layout, days, export_id, exc, run_id=run_id)
        retriable = not isinstance(exc, ValueError) and (
            not isinstance(exc, ApiError) or exc.transient
        )
        raise ReadFailed(days, "export", exc, retriable=retriable) from exc
    if sink.quarantine.count:
        log.warning(
            f"export {export_id}: {sink.quarantine.count} record(s) could not be placed in a "
            f"requested day; quarantined in {sink.quarantine.path}"
        )
    read = ReadSummary(
        read_id=export_id,
        api_mode="tutorial",
        kind="export",
        range=days,
        records=sink.records,
        pages=sink.pages,
        quarantined=sink.quarantine.count,
        total_reported=paging.total if paging.total is not None else started.job.totalRecords,
        started_at=started.requested_at,
        finished_at=dt.datetime.now(dt.UTC),
        request_stats=(client.api.stats.snapshot() - before).as_dict(),
    )
    log.info(
        f"export {export_id} ({days}): {read.records} record(s) in {read.pages} page(s), "
        f"{read.latency_s:.2f} s"
    )
    return read, built
