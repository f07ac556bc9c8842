"""CXone interactions: export a run's days, land each day in the lake, register it, sync it.

The steps the `cxone_interactions` asset runs, kept here (no Dagster) so the CLI and benchmarks
can run the same code. `plan_exports` turns the days into as few export jobs as the API's 90-day
limit and any gaps allow; `land_exports` pages each job, writes each requested day as its own
Parquet file (records dated elsewhere go to quarantine), registers the export and its days in the
catalog, and POSTs each day's complete records to the data-lake webhook when one is given.
A failure a caller should report comes back as a `CxoneFlowError` that carries the message and
whether a retry could fix it. `flows/cxone_records.py` builds the catalog's own records from the
client's and the lake's results, so the catalog never sees a CXone client type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cx_assets.catalog.cxone import record_sync, register_range
from cx_assets.catalog.failures import record_failure
from cx_assets.cxone.lake_sync import sync_day
from cx_assets.cxone.ranges import DayRange, split_days
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportError, RangeExport
from cx_assets.flows.context import ProgressLog
from cx_assets.flows.cxone_records import day_record, export_record, sync_record
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.lake.cxone import (
    DATASET,
    SOURCE,
    DayAlignment,
    WrittenDay,
    align_day,
    is_complete,
    split_by_day,
    write_day,
    write_unplaced,
)
from cx_assets.lake.paths import DataLayout

FLOW = "cxone"
DEFAULT_CHUNK_SIZE = 500


class CxoneFlowError(Exception):
    """A step failed; `str()` is the message for the user, `retriable` whether a retry may help."""

    retriable: bool


class ExportRangeFailed(CxoneFlowError):
    """The export of `days` failed (audited in the catalog); a 4xx or a bad range is final."""

    def __init__(self, days: DayRange, cause: Exception) -> None:
        super().__init__(f"CXone export of {days} failed: {cause}")
        self.days = days
        self.cause = cause
        self.retriable = not isinstance(cause, ValueError) and (
            not isinstance(cause, ApiError) or cause.transient
        )


class WebhookSyncFailed(CxoneFlowError):
    """Delivering `day` to the data-lake webhook failed; only no answer, 429 or 5xx is retried."""

    def __init__(self, day: dt.date, cause: ApiError) -> None:
        super().__init__(f"data-lake webhook sync of {day} failed: {cause}")
        self.day = day
        self.cause = cause
        self.retriable = cause.status is None or cause.status >= 500 or cause.status == 429


@dataclass(frozen=True)
class LandedDay:
    """What a run did for one day: its alignment, its file, and the export it came from."""

    alignment: DayAlignment
    written: WrittenDay
    export_id: str
    export_range: DayRange
    export_records: int
    export_total_reported: int | None
    export_pages: int
    export_latency_s: float
    export_rows_written: int
    export_quarantined: int
    export_request_stats: Mapping[str, int | float] = field(default_factory=dict, hash=False)
    synced_records: int | None = None

    @property
    def day(self) -> dt.date:
        return self.alignment.day


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
    """Export each range, land and register its days, sync them to `webhook` (client, path) if
    given; every requested day in order. Raises `ExportRangeFailed` or `WebhookSyncFailed` at the
    first step that fails (days landed before it stay landed)."""
    landed: list[LandedDay] = []
    for days in ranges:
        export = _export(client, days, layout, run_id=run_id, log=log)
        landed.extend(
            _land(
                export,
                layout,
                run_id=run_id,
                log=log,
                webhook=webhook,
                chunk_size=webhook_chunk_size,
            )
        )
    return landed


def _export(
    client: CxoneExportClient, days: DayRange, layout: DataLayout, *, run_id: str, log: ProgressLog
) -> RangeExport:
    """One export job; a failure is audited in the catalog before it is raised."""
    try:
        export = client.export_range(days)
    except (ApiError, CxoneExportError, ValueError) as exc:
        record_failure(
            layout.catalog_path,
            source=SOURCE,
            dataset=DATASET,
            partition_key=f"{days.first}_{days.last}",
            export_id=None,
            reason=str(exc),
            actor=run_id,
            flow=FLOW,
        )
        raise ExportRangeFailed(days, exc) from exc
    log.info(
        f"export {export.export_id} ({days}): {len(export.records)} record(s) in "
        f"{export.pages} page(s), {export.timings.latency_s:.2f} s"
    )
    return export


def _land(
    export: RangeExport,
    layout: DataLayout,
    *,
    run_id: str,
    log: ProgressLog,
    webhook: tuple[ApiClient, str] | None,
    chunk_size: int,
) -> list[LandedDay]:
    """Write each day of `export`, register the export with its days, sync if configured."""
    wanted = export.range.dates()
    split = split_by_day(export.records, wanted)
    outside = split.outside(wanted)
    # Records dated outside the requested days must not overwrite other days: quarantine them.
    strays = [r for day in outside for r in split.by_day.pop(day)]
    unplaced = [*split.unplaced, *strays]
    quarantine = write_unplaced(layout, export.export_id, unplaced)
    if quarantine:
        log.warning(
            f"export {export.export_id}: {len(unplaced)} record(s) could not be placed in a "
            f"requested day (outside days: {[str(d) for d in outside]}); quarantined in "
            f"{quarantine}"
        )
    written_days = []
    for day in wanted:
        records = split.by_day.get(day, [])
        written_days.append((align_day(day, records), write_day(layout, day, records)))
    rows_written = sum(w.rows for _, w in written_days)
    register_range(
        layout.catalog_path,
        export_record(export, run_id=run_id),
        [day_record(export.export_id, a, w) for a, w in written_days],
        actor=run_id,
    )
    landed = []
    for alignment, written in written_days:
        synced = None
        if webhook is not None:
            records = split.by_day.get(alignment.day, [])
            synced = _sync(webhook, alignment.day, records, layout, run_id, chunk_size)
        landed.append(
            LandedDay(
                alignment=alignment,
                written=written,
                export_id=export.export_id,
                export_range=export.range,
                export_records=len(export.records),
                export_total_reported=export.total_reported,
                export_pages=export.pages,
                export_latency_s=export.timings.latency_s,
                export_rows_written=rows_written,
                export_quarantined=len(unplaced),
                export_request_stats=dict(export.request_stats),
                synced_records=synced,
            )
        )
    return landed


def _sync(
    webhook: tuple[ApiClient, str],
    day: dt.date,
    records: Sequence[Mapping[str, Any]],
    layout: DataLayout,
    run_id: str,
    chunk_size: int,
) -> int:
    """POST the day's complete (validated) records in chunks; record what was sent."""
    api, path = webhook
    valid = [r for r in records if is_complete(r)]
    try:
        result = sync_day(api, path, DATASET, day, valid, chunk_size=chunk_size)
    except ApiError as exc:
        raise WebhookSyncFailed(day, exc) from exc
    record_sync(layout.catalog_path, sync_record(result), actor=run_id)
    return result.records
