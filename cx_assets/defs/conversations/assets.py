"""Genesys conversation exports: a verified raw export per day, then typed Parquet in the lake.

Two assets so the checksum check can block: nothing reaches the lake (and so the catalog's
`conversations` view) unless every file of the day was downloaded whole and matched the manifest.
"""

import datetime as dt
from typing import NoReturn

import dagster as dg

from cx_assets.catalog.conversations import record_failure, register_export
from cx_assets.catalog.views import register_dataset_view
from cx_assets.defs.conversations import checks, metadata
from cx_assets.defs.conversations.metadata import DATASET, SOURCE
from cx_assets.defs.conversations.partitions import daily_partitions
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.conversations import normalise_and_publish
from cx_assets.genesys.conversations.tutorial import ExportError, export_day
from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport
from cx_assets.http.errors import ApiError
from cx_assets.lake.atomic import discard_on_exit, replace_dir
from cx_assets.lake.conversations import CONVERSATION_COLUMNS

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
    layout = catalog.layout
    api_url = genesys.base_urls()[0]
    context.log.info(f"Exporting {day} from {genesys.describe_target()}")
    raw_dir = layout.raw_dir(SOURCE, DATASET, context.partition_key)
    with discard_on_exit(layout.staging_dir()) as staging:
        try:
            with genesys.export_client() as client:
                result = export_day(client, day, staging / FILES_DIR)
                stats = client.api.stats.as_dict()
        except (ApiError, ExportError) as exc:
            _fail(context, day, exc, catalog)
        record = VerifiedExport.from_day_export(
            result, api_base_url=api_url, is_emulator=genesys.is_emulator, request_stats=stats
        )
        record.save(staging)
        replace_dir(staging, raw_dir)
    check = checks.files_match_manifest(raw_dir, record)
    context.log.info(
        f"export {record.export_id}: {len(record.files)} file(s), {record.bytes} bytes verified"
    )
    return dg.MaterializeResult(
        metadata=metadata.export_metadata(record, raw_dir),
        check_results=[check],
    )


def _fail(
    context: dg.AssetExecutionContext, day: dt.date, exc: Exception, catalog: CatalogResource
) -> NoReturn:
    """Audit the failure, then fail the step; only errors a retry could fix are retried."""
    record_failure(
        catalog.layout.catalog_path,
        source=SOURCE,
        dataset=DATASET,
        partition_key=context.partition_key,
        export_id=None,
        reason=str(exc),
        actor=context.run.run_id,
    )
    status = exc.status if isinstance(exc, ApiError) else None
    retriable = not isinstance(exc, ApiError) or status in (None, 408, 429) or status >= 500
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
    layout = catalog.layout
    raw_dir = layout.raw_dir(SOURCE, DATASET, context.partition_key)
    try:
        record = VerifiedExport.load(raw_dir)
    except FileNotFoundError:
        raise dg.Failure(
            f"No verified export for {day}: materialise {EXPORT_ASSET} for this day first.",
            allow_retries=False,
        ) from None
    published = normalise_and_publish(record, layout, day)
    register_export(
        layout.catalog_path,
        metadata.export_record(record, context.partition_key, published.result, context.run.run_id),
        metadata.file_records(record, context.partition_key, raw_dir / FILES_DIR),
        actor=context.run.run_id,
    )
    if published.result.quarantined:
        context.log.warning(
            f"{published.result.quarantined} record(s) quarantined in {published.quarantine_dir} "
            "(file, line, reason)"
        )
    return dg.MaterializeResult(
        metadata=metadata.conversations_metadata(record, published.result, published.parquet_path),
        check_results=[
            checks.schema_conforms(published.parquet_path),
            checks.rows_match_files(record, published.result),
        ],
    )
