"""`cxone_interactions`: daily partitions of NICE CXone interactions, one export job per run.

Dagster's `BackfillPolicy.multi_run(90)` hands a run up to 90 consecutive days; the run turns
them into as few export jobs as the API's 90-day limit and any gaps allow (`split_days`: one for
a backfill chunk or a scheduled day), pages every record, writes each day as its own Parquet file
(so re-running one day replaces just that day), registers each export and its days in the
catalog (with an audit entry), and optionally POSTs each day's complete records to a data-lake
webhook. Those steps are `flows/cxone.py`; this module wires them into the asset and turns their
results into metadata, check evaluations and `dg.Failure`s.

Dagster records one materialization per day of the run; each carries that day's metadata
(`context.add_asset_metadata(partition_key=...)`). An `AssetCheckResult` would be recorded once
per run, so the per-day check evaluations are logged as `AssetCheckEvaluation`s with their
`partition` (the check specs are partitioned like the asset: a Dagster 1.13 preview).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import dagster as dg

from cx_assets.catalog.views import register_dataset_view
from cx_assets.defs.cxone import checks, metadata
from cx_assets.defs.cxone.partitions import CXONE_BACKFILL_POLICY, cxone_daily_partitions
from cx_assets.defs.cxone.resource import CxoneResource
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource
from cx_assets.flows import cxone as flow
from cx_assets.flows.cxone import LandedDay
from cx_assets.lake.cxone import INTERACTION_COLUMNS, VIEW_GLOB, VIEW_NAME

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
    ranges = flow.plan_exports(days, target=cxone.describe_target(), log=context.log)
    with ExitStack() as stack:
        client = stack.enter_context(cxone.export_client())
        webhook = stack.enter_context(cxone.webhook_client()) if cxone.lake_webhook_url else None
        try:
            landed = flow.land_exports(
                client,
                ranges,
                catalog.layout,
                run_id=context.run.run_id,
                log=context.log,
                webhook=webhook,
                webhook_chunk_size=cxone.webhook_chunk_size,
            )
        except flow.CxoneFlowError as exc:  # only errors a retry could fix are retried
            raise dg.Failure(description=str(exc), allow_retries=exc.retriable) from None

    context.add_asset_metadata(metadata.run_metadata(cxone.describe_target(), cxone.is_emulator))
    for day in landed:
        context.add_asset_metadata(metadata.day_metadata(day), partition_key=day.day.isoformat())
    yield dg.MaterializeResult()
    yield from _check_events(context, landed, cxone.integrity_threshold)


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
