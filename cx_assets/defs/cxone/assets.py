"""`cxone_interactions`: daily partitions of NICE CXone interactions, one export job per run.

Dagster's `BackfillPolicy.multi_run(90)` hands a run up to 90 consecutive days; the run turns
them into as few export jobs as the API's 90-day limit and any gaps allow (`split_days`: one for
a backfill chunk or a scheduled day), pages every record, writes each day as its own Parquet file
(so re-running one day replaces just that day), registers each export and its days in the
catalog (with an audit entry), and optionally POSTs each day's complete records to a data-lake
webhook.

Dagster records one materialization per day of the run; each carries that day's metadata
(`context.add_asset_metadata(partition_key=...)`). An `AssetCheckResult` would be recorded once
per run, so the per-day check evaluations are logged as `AssetCheckEvaluation`s with their
`partition` (the check specs are partitioned like the asset: a Dagster 1.13 preview).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, NoReturn

import dagster as dg

from cx_assets.catalog.conversations import record_failure
from cx_assets.catalog.cxone import CxoneDayRecord, CxoneExportRecord, record_sync, register_range
from cx_assets.catalog.views import register_dataset_view
from cx_assets.cxone.lake_sync import sync_day
from cx_assets.cxone.ranges import DayRange, split_days
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportError, RangeExport
from cx_assets.defs.cxone import checks, metadata
from cx_assets.defs.cxone.checks import LandedDay
from cx_assets.defs.cxone.partitions import CXONE_BACKFILL_POLICY, cxone_daily_partitions
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, CxoneResource
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.lake.cxone import (
    DATASET,
    INTERACTION_COLUMNS,
    SOURCE,
    VIEW_GLOB,
    VIEW_NAME,
    align_day,
    is_complete,
    split_by_day,
    write_day,
    write_unplaced,
)

register_dataset_view(VIEW_NAME, VIEW_GLOB, INTERACTION_COLUMNS)

ASSET_NAME = "cxone_interactions"
ASSET_KEY = dg.AssetKey(ASSET_NAME)
CHECK_SPECS = [
    dg.AssetCheckSpec(
        checks.INTEGRITY_AT_LEAST_THRESHOLD,
        asset=ASSET_NAME,
        partitions_def=cxone_daily_partitions,
        description="The day's share of records with every required field is at least the "
        "resource's integrity_threshold (default 0.99); a failure names the day and its rate.",
    ),
    dg.AssetCheckSpec(
        checks.ROWS_MATCH_PAGES,
        asset=ASSET_NAME,
        partitions_def=cxone_daily_partitions,
        description="Rows written (plus quarantined) == records fetched across all pages == "
        "totalRecords the server reported, and the day's file holds the day's records.",
    ),
]


@dg.asset(
    name=ASSET_NAME,
    group_name="cxone",
    partitions_def=cxone_daily_partitions,
    backfill_policy=CXONE_BACKFILL_POLICY,
    pool="cxone_api",
    kinds={"cxone", "parquet", "duckdb"},
    retry_policy=TRANSIENT_RETRY,
    check_specs=CHECK_SPECS,
)
def cxone_interactions(
    context: dg.AssetExecutionContext, cxone: CxoneResource, catalog: CatalogResource
) -> Iterator[Any]:
    """NICE CXone interactions per UTC day as typed Parquet, queryable as `cxone.interactions`.

    Each day also gets its alignment in `cxone_day_metrics` (total, valid, integrity rate,
    missing-field counts); each export job a row in `cxone_exports` and an audit entry.
    """
    days = [dt.date.fromisoformat(key) for key in context.partition_keys]
    ranges = split_days(days)
    context.log.info(
        f"{len(days)} day(s) from {cxone.describe_target()} as {len(ranges)} export job(s): "
        + ", ".join(map(str, ranges))
    )
    landed: list[tuple[LandedDay, dict[str, Any]]] = []
    with ExitStack() as stack:
        client = stack.enter_context(cxone.export_client())
        webhook = stack.enter_context(cxone.webhook_client()) if cxone.lake_webhook_url else None
        for days_range in ranges:
            export = _export(context, client, days_range, catalog)
            landed.extend(_land(context, cxone, catalog, export, webhook))

    context.add_asset_metadata(metadata.run_metadata(cxone.describe_target(), cxone.is_emulator))
    for day, day_metadata in landed:
        context.add_asset_metadata(day_metadata, partition_key=day.day.isoformat())
    yield dg.MaterializeResult()
    yield from _check_events(context, [day for day, _ in landed], cxone.integrity_threshold)


def _export(
    context: dg.AssetExecutionContext,
    client: CxoneExportClient,
    days: DayRange,
    catalog: CatalogResource,
) -> RangeExport:
    try:
        export = client.export_range(days)
    except (ApiError, CxoneExportError, ValueError) as exc:
        _fail(context, days, exc, catalog)
    context.log.info(
        f"export {export.export_id} ({days}): {len(export.records)} record(s) in "
        f"{export.pages} page(s), {export.timings.latency_s:.2f} s"
    )
    return export


def _land(
    context: dg.AssetExecutionContext,
    cxone: CxoneResource,
    catalog: CatalogResource,
    export: RangeExport,
    webhook: tuple[ApiClient, str] | None,
) -> list[tuple[LandedDay, dict[str, Any]]]:
    """Write each day of `export`, register the export with its days, sync if configured."""
    layout = catalog.layout
    wanted = export.range.dates()
    split = split_by_day(export.records, wanted)
    outside = split.outside(wanted)
    # Records dated outside the requested days must not overwrite other days: quarantine them.
    strays = [r for day in outside for r in split.by_day.pop(day)]
    unplaced = [*split.unplaced, *strays]
    quarantine = write_unplaced(layout, export.export_id, unplaced)
    if quarantine:
        context.log.warning(
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
        CxoneExportRecord.from_export(export, run_id=context.run.run_id),
        [CxoneDayRecord.from_day(export.export_id, a, w) for a, w in written_days],
        actor=context.run.run_id,
    )
    landed = []
    for alignment, written in written_days:
        synced = None
        if webhook is not None:
            synced = _sync(context, catalog, webhook, alignment.day, split.by_day, cxone)
        day = LandedDay(
            alignment=alignment,
            written=written,
            export_id=export.export_id,
            export_records=len(export.records),
            export_total_reported=export.total_reported,
            export_pages=export.pages,
            export_rows_written=rows_written,
            export_quarantined=len(unplaced),
            synced_records=synced,
        )
        landed.append((day, metadata.day_metadata(day, export)))
    return landed


def _sync(
    context: dg.AssetExecutionContext,
    catalog: CatalogResource,
    webhook: tuple[ApiClient, str],
    day: dt.date,
    by_day: dict[dt.date, list[dict[str, Any]]],
    cxone: CxoneResource,
) -> int:
    """POST the day's complete (validated) records in chunks; record what was sent."""
    api, path = webhook
    valid = [r for r in by_day.get(day, []) if is_complete(r)]
    try:
        result = sync_day(api, path, DATASET, day, valid, chunk_size=cxone.webhook_chunk_size)
    except ApiError as exc:
        raise dg.Failure(
            description=f"data-lake webhook sync of {day} failed: {exc}",
            allow_retries=exc.status is None or exc.status >= 500 or exc.status == 429,
        ) from None
    record_sync(catalog.layout.catalog_path, result, actor=context.run.run_id)
    return result.records


def _check_events(
    context: dg.AssetExecutionContext, landed: list[LandedDay], threshold: float
) -> Iterator[Any]:
    """One evaluation per selected check and day, tied to that day's new materialization."""
    selected = {key.name for key in context.selected_asset_check_keys}
    if not selected:
        return
    targets = _materializations_of_this_run(context, [d.day.isoformat() for d in landed])
    failing = [
        checks.integrity_description(d.alignment, threshold)
        for d in landed
        if d.alignment.integrity_rate < threshold
    ]
    if failing and checks.INTEGRITY_AT_LEAST_THRESHOLD in selected:
        context.log.warning(
            f"{len(failing)} day(s) below integrity {threshold:g}:\n" + "\n".join(failing)
        )
    for day in landed:
        target = targets.get(day.day.isoformat())
        if checks.INTEGRITY_AT_LEAST_THRESHOLD in selected:
            yield checks.integrity_at_least_threshold(ASSET_KEY, day, threshold, target)
        if checks.ROWS_MATCH_PAGES in selected:
            yield checks.rows_match_pages(ASSET_KEY, day, target)
    # Each selected check is an op output Dagster expects exactly once per run.
    for key in context.selected_asset_check_keys:
        output_name = context.assets_def.get_output_name_for_asset_check_key(key)
        yield dg.Output(None, output_name=output_name)


def _materializations_of_this_run(
    context: dg.AssetExecutionContext, partition_keys: list[str]
) -> dict[str, checks.Target]:
    """partition -> the materialization this run just recorded (what each check evaluated)."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=ASSET_KEY, asset_partitions=partition_keys),
        limit=len(partition_keys),
    ).records
    return {
        record.partition_key: checks.Target(
            run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp
        )
        for record in records
        if record.run_id == context.run.run_id and record.partition_key
    }


def _fail(
    context: dg.AssetExecutionContext,
    days: DayRange,
    exc: Exception,
    catalog: CatalogResource,
) -> NoReturn:
    """Audit the failure, then fail the run; only errors a retry could fix are retried."""
    record_failure(
        catalog.layout.catalog_path,
        source=SOURCE,
        dataset=DATASET,
        partition_key=f"{days.first}_{days.last}",
        export_id=None,
        reason=str(exc),
        actor=context.run.run_id,
        flow="cxone",
    )
    status = exc.status if isinstance(exc, ApiError) else None
    retriable = not isinstance(exc, ValueError) and (
        not isinstance(exc, ApiError) or status in (None, 408, 429) or (status or 0) >= 500
    )
    raise dg.Failure(
        description=f"CXone export of {days} failed: {exc}", allow_retries=retriable
    ) from None
