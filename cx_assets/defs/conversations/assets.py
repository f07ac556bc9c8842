"""Genesys conversation exports: a verified raw export per day, then typed Parquet in the lake.

Two assets so the checksum check can block: nothing reaches the lake (and so the catalog's
`conversations` view) unless every file of the day was downloaded whole and matched the manifest.
Each asset runs one step of `flows.conversations` and turns its result into metadata and check
results, and its errors into `dg.Failure`s.
"""

import datetime as dt
from typing import NoReturn

import dagster as dg

from cx_assets.catalog.views import register_dataset_view
from cx_assets.defs.conversations import checks, metadata
from cx_assets.defs.conversations.partitions import daily_partitions
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.conversations import (
    NoVerifiedExport,
    export_day_to_raw,
    normalise_day,
)
from cx_assets.genesys.conversations.tutorial import ExportError
from cx_assets.http.errors import ApiError
from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS

register_dataset_view(
    "conversations", "genesys/conversations/date=*/*.parquet", CONVERSATION_COLUMNS
)

EXPORT_ASSET = "genesys_conversation_export"
CONVERSATIONS_ASSET = "genesys_conversations"


@dg.asset(
    name=EXPORT_ASSET,
    group_name="genesys_exports",
    partitions_def=daily_partitions,
    pool="genesys_api",
    kinds={"genesys", "json"},
    retry_policy=TRANSIENT_RETRY,
    check_specs=[
        dg.AssetCheckSpec(
            checks.FILES_MATCH_MANIFEST,
            asset=EXPORT_ASSET,
            blocking=True,
            description="Every file on disk has the size and SHA-256 the export manifest states.",
        )
    ],
)
def genesys_conversation_export(
    context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.MaterializeResult:
    """One UTC day of Genesys Cloud conversations, exactly as the bulk export served them.

    Creates a data export for the day, waits for it, and downloads every manifest file with its
    SHA-256 checked while streaming. The day's folder under `raw/genesys/conversations/` is
    replaced only once all files are verified, so a failed run leaves the previous copy intact.
    """
    day = dt.date.fromisoformat(context.partition_key)
    target = genesys.target("conversations")
    try:
        exported = export_day_to_raw(
            genesys.export_client,
            catalog.layout,
            day,
            target=target,
            run_id=context.run.run_id,
            log=context.log,
        )
    except (ApiError, ExportError) as exc:
        _fail(day, exc)
    return dg.MaterializeResult(
        metadata=metadata.export_metadata(exported.record, exported.raw_dir),
        check_results=[checks.files_match_manifest(exported.raw_dir, exported.record)],
    )


def _fail(day: dt.date, exc: Exception) -> NoReturn:
    """Fail the step (the flow has audited the failure); only errors a retry could fix are
    retried."""
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
    retry_policy=TRANSIENT_RETRY,
    check_specs=[
        dg.AssetCheckSpec(
            checks.SCHEMA_CONFORMS,
            asset=CONVERSATIONS_ASSET,
            description="The day's Parquet file has exactly the declared columns and types.",
        ),
        dg.AssetCheckSpec(
            checks.ROWS_MATCH_FILES,
            asset=CONVERSATIONS_ASSET,
            description="Rows written plus rows quarantined equal the records the files hold.",
        ),
    ],
)
def genesys_conversations(
    context: dg.AssetExecutionContext, catalog: CatalogResource
) -> dg.MaterializeResult:
    """Conversations of one UTC day as typed Parquet, registered in the DuckDB catalog.

    Normalises the verified raw files (JSONL or CSV) into `lake/genesys/conversations/date=…/`;
    malformed or misplaced records go to `quarantine/` with file, line and reason. Query with
    `SELECT * FROM conversations` in `catalog.duckdb`. A re-run replaces the day whole.
    """
    day = dt.date.fromisoformat(context.partition_key)
    try:
        normalised = normalise_day(catalog.layout, day, run_id=context.run.run_id, log=context.log)
    except NoVerifiedExport:
        raise dg.Failure(
            f"No verified export for {day}: materialise {EXPORT_ASSET} for this day first.",
            allow_retries=False,
        ) from None
    record, published = normalised.record, normalised.published
    return dg.MaterializeResult(
        metadata=metadata.conversations_metadata(record, published.result, published.parquet_path),
        check_results=[
            checks.schema_conforms(published.parquet_path),
            checks.rows_match_files(record, published.result),
        ],
    )
