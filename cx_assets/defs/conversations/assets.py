"""Genesys conversation exports: a verified raw export per day, then typed Parquet in the lake.

Two assets so the checksum check can block: nothing reaches the lake (and so the catalog's
`conversations` view) unless every file of the day on disk matches the manifest. The checksum
check is a step of its own between them, so it hashes the files the lake step will read.
Each asset runs one step of `flows.conversations` and turns its result into metadata and check
results, and its errors into `dg.Failure`s.
"""

import datetime as dt
import time
from typing import NoReturn

import dagster as dg

from cx_assets.catalog.views import register_dataset_view
from cx_assets.defs.conversations import checks, metadata
from cx_assets.defs.conversations.partitions import daily_partitions
from cx_assets.defs.policies import DAILY_FRESHNESS, OWNERS, TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.conversations import (
    NoVerifiedExport,
    download_progress,
    export_day_to_raw,
    normalise_day,
)
from cx_assets.flows.conversations_platform import (
    CONVERSATIONS_FILE,
    DATASET,
    SOURCE,
    export_platform_day,
    paging_progress,
)
from cx_assets.genesys.conversations.platform import DetailsJobError
from cx_assets.genesys.conversations.tutorial import ExportError
from cx_assets.http.errors import ApiError
from cx_assets.lake.conversation_details_schema import TABLES
from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS

# Rows show once their day's export is registered (a crash between lake and catalog hides them).
_REGISTERED = ("genesys", DATASET)
register_dataset_view(
    "conversations",
    f"genesys/conversations/date=*/{CONVERSATIONS_FILE}",
    CONVERSATION_COLUMNS,
    registered=_REGISTERED,
)
for _table, _columns in TABLES.items():
    if _table != DATASET:  # platform-mode days only: participants, sessions, segments, metrics
        register_dataset_view(
            f"conversation_{_table}",
            f"genesys/conversations/date=*/{_table}.parquet",
            _columns,
            registered=_REGISTERED,
        )

FLOW = "conversations"
EXPORT_ASSET = "genesys_conversation_export"
CONVERSATIONS_ASSET = "genesys_conversations"

#: The lake step of a day runs once that day's export has landed (whatever launched it: a click,
#: a backfill, the schedule) and its blocking checksum check passed. Not `eager()`: that only
#: looks at the latest day, and a user re-pulls older ones. `any_deps_updated` ignores an export
#: whose run also ran the lake step, so a run that selected both is not followed by a second.
LAKE_WHEN_EXPORT_LANDS = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("when the day's export lands")


@dg.asset(
    name=EXPORT_ASSET,
    group_name="genesys_exports",
    partitions_def=daily_partitions,
    pool="genesys_analytics_jobs",
    kinds={"genesys", "json"},
    owners=OWNERS,
    retry_policy=TRANSIENT_RETRY,
    check_specs=[
        dg.AssetCheckSpec(
            checks.DAY_IS_FINAL,
            asset=EXPORT_ASSET,
            description="Whether the day is complete in Genesys. WARN while the day ends after "
            "the analytics watermark (dataAvailabilityDate): Genesys may still add or change its "
            "conversations, so the nightly schedule re-pulls it until it is final. Tutorial mode "
            "has no watermark and always warns. Each result names its day.",
        ),
    ],
)
def genesys_conversation_export(
    context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.MaterializeResult:
    """One UTC day of Genesys Cloud conversations, exactly as the API served them.

    Platform mode runs one analytics conversation details job for the day and writes every
    result page with its SHA-256; tutorial mode downloads the data export's manifest files. The
    day's folder under `raw/genesys/conversations/` is replaced only once everything landed, so
    a failed run leaves the previous copy intact. The run's log shows progress about every 10 s
    (files or pages done, MB, MB/s, ETA when the total is known); the Plots tab charts bytes,
    requests, retries, 429s and seconds per day.

    Runs from the nightly schedule `genesys_conversations_daily_schedule`, a backfill or a click;
    materialising it alone is enough: `genesys_conversations` follows by itself. A failure means
    nothing new landed for the day (the step says why: a missing permission, a failed job).
    """
    day = dt.date.fromisoformat(context.partition_key)
    target = genesys.target(FLOW)
    try:
        if genesys.mode_for(FLOW) == "platform":
            progress = paging_progress(context.log, day)
            record, raw_dir = export_platform_day(
                genesys.details_client,
                catalog.layout,
                day,
                target=target,
                run_id=context.run.run_id,
                log=context.log,
                progress=progress,
            )
        else:
            progress = download_progress(context.log, day)
            exported = export_day_to_raw(
                genesys.export_client,
                catalog.layout,
                day,
                target=target,
                run_id=context.run.run_id,
                log=context.log,
                progress=progress,
            )
            record, raw_dir = exported.record, exported.raw_dir
    except (ApiError, ExportError, DetailsJobError) as exc:
        _fail(day, exc)
    return dg.MaterializeResult(
        metadata=metadata.export_metadata(record, raw_dir, progress.summary()),
        check_results=checks.for_day(day, [checks.day_is_final(record)]),
    )


@dg.asset_check(
    asset=genesys_conversation_export,
    name=checks.FILES_MATCH_MANIFEST,
    blocking=True,
    description="Every raw file of the day on disk has the size and SHA-256 recorded when it "
    "was written (tutorial: the manifest's; platform: each result page as served). Runs after "
    "each export, as its own step. Blocking: a failure stops genesys_conversations in the same "
    "run and keeps the automation from normalising the day; re-materialise the export. Each "
    "result names its day (metadata `partition`).",
)
def files_match_manifest(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource
) -> dg.AssetCheckResult:
    """Its own step, after the export and before the lake step, so it re-hashes what the lake
    step will read (and can be re-run alone on a day already landed)."""
    # No partitions_def on the check (a preview API): it runs in the day's partitioned run.
    if not context.has_partition_key:
        raise dg.Failure(
            f"{checks.FILES_MATCH_MANIFEST} checks one day: run it for a partition of "
            f"{EXPORT_ASSET}",
            allow_retries=False,
        )
    raw_dir = catalog.layout.raw_dir(SOURCE, DATASET, context.partition_key)
    day = dt.date.fromisoformat(context.partition_key)
    return checks.for_day(day, [checks.files_match_manifest_on_disk(raw_dir)])[0]


def _fail(day: dt.date, exc: Exception) -> NoReturn:
    """Fail the step (the flow has audited the failure); only errors a retry could fix are
    retried."""
    # A failed, expired or timed-out job is worth a fresh one; a 4xx (a missing permission, a
    # refused query) is not.
    retriable = not isinstance(exc, ApiError) or exc.transient
    raise dg.Failure(
        description=f"Genesys export for {day} failed: {exc}", allow_retries=retriable
    ) from None


@dg.asset(
    name=CONVERSATIONS_ASSET,
    group_name="genesys_exports",
    deps=[genesys_conversation_export],
    partitions_def=daily_partitions,
    kinds={"parquet", "duckdb"},
    owners=OWNERS,
    retry_policy=TRANSIENT_RETRY,
    automation_condition=LAKE_WHEN_EXPORT_LANDS,
    freshness_policy=DAILY_FRESHNESS,
    metadata=metadata.definition_metadata(),
    check_specs=[
        dg.AssetCheckSpec(
            checks.SCHEMA_CONFORMS,
            asset=CONVERSATIONS_ASSET,
            description="Every Parquet table the day published has exactly its declared "
            "columns and types, in order. A failure means a query may read wrong types: the "
            "result lists each difference. Each result names its day.",
        ),
        dg.AssetCheckSpec(
            checks.ROWS_MATCH_FILES,
            asset=CONVERSATIONS_ASSET,
            description="Nothing lost: rows written plus rows quarantined equal the records the "
            "raw files hold (platform: the conversations the job served). A failure gives the "
            "unaccounted count. Each result names its day.",
        ),
        dg.AssetCheckSpec(
            checks.CONVERSATION_ID_UNIQUE,
            asset=CONVERSATIONS_ASSET,
            description="Each conversation id appears once in the day; a failure lists repeated "
            "ids (they would double every count). Each result names its day.",
        ),
    ],
)
def genesys_conversations(
    context: dg.AssetExecutionContext, catalog: CatalogResource
) -> dg.MaterializeResult:
    """Conversations of one UTC day as typed Parquet, registered in the DuckDB catalog.

    Normalises the verified raw files into `lake/genesys/conversations/date=…/`: the
    `conversations` view (one row per conversation, the same columns in both API modes) and, for
    platform-mode days, `conversation_participants`, `conversation_sessions`,
    `conversation_segments` and `conversation_metrics`. Unreadable records go to `quarantine/`
    with file, position and reason. A re-run replaces the day whole.

    Runs by itself (automation condition) once its day's export has landed and passed
    `files_match_manifest`, so materialising `genesys_conversation_export` alone is enough; the
    default automation condition sensor must be on (it is with `make dev`). The Plots tab charts
    conversations, quarantined rows, handle and talk time, bytes, requests and 429s per day. A
    failure means the day's previous copy is still the one queried.
    """
    day = dt.date.fromisoformat(context.partition_key)
    started = time.monotonic()
    try:
        normalised = normalise_day(catalog.layout, day, run_id=context.run.run_id, log=context.log)
    except NoVerifiedExport:
        raise dg.Failure(
            f"No verified export for {day}: materialise {EXPORT_ASSET} for this day first.",
            allow_retries=False,
        ) from None
    record = normalised.record
    return dg.MaterializeResult(
        metadata=metadata.conversations_metadata(record, normalised, time.monotonic() - started),
        check_results=checks.for_day(
            day,
            [
                checks.schema_conforms(normalised.tables),
                checks.rows_match_files(record, normalised.rows, normalised.quarantined),
                checks.conversation_id_unique(normalised.parquet_path),
            ],
        ),
    )
