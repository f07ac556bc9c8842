"""`cxone_interactions`: daily partitions of NICE CXone interactions, in either API mode.

Dagster's `BackfillPolicy.multi_run(90)` hands a run up to 90 consecutive days. In platform mode
(the default) each day is one pull of the Reporting API's completed contacts; a day stored by a
recent pull is pulled again by `updatedSince` for its late updates (`flows/cxone_platform.py`).
In tutorial mode the days become as few analytics export jobs as the 90-day limit and gaps
allow (`flows/cxone_tutorial.py`). Either way every response goes to disk as it arrives, each
day is written as its own Parquet file (re-running one day replaces just that day), each read
and its days are registered in the catalog with an audit entry, and each day's complete rows
can be POSTed to a data-lake webhook. This module wires those steps into the asset and turns
their results into metadata, check results and `dg.Failure`s.

Dagster records one materialization per day of the run, each with that day's metadata
(`context.add_asset_metadata(partition_key=...)`), so the Plots tab charts each day's numbers;
each check is one result for the run that names its days (`checks.py`). A day below the
integrity threshold fails the run AFTER its data landed and the checks were recorded
(docs/decisions.md, "CXone: a day below the integrity threshold fails the run").

The asset is declared with `@dg.multi_asset` and one `AssetSpec`: the same asset, but
`multi_asset` takes `backfill_policy` as a stable parameter where `@dg.asset` warns that it is
beta on every start.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import dagster as dg

from cx_assets.catalog.views import register_dataset_view
from cx_assets.cxone.discovery import DiscoveryError
from cx_assets.defs.cxone import checks, metadata
from cx_assets.defs.cxone.partitions import CXONE_BACKFILL_POLICY, cxone_daily_partitions
from cx_assets.defs.cxone.resource import CxoneResource
from cx_assets.defs.policies import DAILY_FRESHNESS, OWNERS, TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource
from cx_assets.flows import cxone_platform, cxone_tutorial
from cx_assets.flows.cxone import CxoneFlowError, LandedDay
from cx_assets.http.errors import ApiError
from cx_assets.lake.cxone_columns import INTERACTION_COLUMNS
from cx_assets.lake.cxone_days import VIEW_GLOB, VIEW_NAME

register_dataset_view(VIEW_NAME, VIEW_GLOB, INTERACTION_COLUMNS)

ASSET_NAME = "cxone_interactions"
ASSET_KEY = dg.AssetKey(ASSET_NAME)
GROUP = "cxone"
CHECK_SPECS = [
    dg.AssetCheckSpec(
        checks.INTEGRITY_AT_LEAST_THRESHOLD,
        asset=ASSET_NAME,
        description="Whether every day of the run has at least the resource's "
        "integrity_threshold (default 0.99, CXONE_INTEGRITY_THRESHOLD) of its contacts with "
        "every required field. One result per run: its description and metadata name the days "
        "it covers, and each failing day with its rate and the fields missing. A failure also "
        "fails the run (red in Runs and Backfills); the days' rows are landed all the same, "
        "nothing is dropped. `make demo` fails it on purpose: the emulator leaves fields out of "
        "some contacts.",
        metadata={"owners": ", ".join(OWNERS)},
    ),
    dg.AssetCheckSpec(
        checks.ROWS_MATCH_RECORDS,
        asset=ASSET_NAME,
        description="Whether each day's file holds exactly the contacts CXone served for it "
        "(less contacts served twice and rows a late update replaced), every served contact is "
        "in a day or in quarantine, and a total the server reported matches. One result per "
        "run naming its days; a failure means records were lost or doubled on the way to the "
        "lake: re-run the days it names.",
        metadata={"owners": ", ".join(OWNERS)},
    ),
]
INTERACTIONS_SPEC = dg.AssetSpec(
    ASSET_KEY,
    description="""NICE CXone interactions (contacts), one partition per UTC day, as typed Parquet
that you query as `cxone.interactions` in the DuckDB catalog.

**Where it comes from:** in platform mode (the default) each day is one pull of the Reporting
API's completed contacts (a recent day is re-pulled by `updatedSince` for late updates); in
tutorial mode the days of a run become analytics export jobs of up to 90 days. Without
`CXONE_ACCESS_KEY_ID` it reads the built-in emulator, and every run says so in its metadata
(`emulator`, `api_base_url`).

**When it runs:** the `cxone_interactions_schedule` (on by default) pulls yesterday and
the late-update days before it at 02:45 UTC; a backfill runs up to 90 days per run.

**What a failure means:** a day below the integrity threshold fails the run after its rows
landed (the check names the day, its rate and the fields missing); a failed read fails before
its days are replaced, so the previous files stay. Each day also gets its integrity in
`cxone_day_metrics`, each read a row in `cxone_exports` and an audit entry.""",
    group_name=GROUP,
    kinds={"cxone", "parquet", "duckdb"},
    owners=OWNERS,
    freshness_policy=DAILY_FRESHNESS,
    metadata={
        "dagster/column_schema": metadata.column_schema(),
        "dagster/table_name": VIEW_NAME,
    },
)


@dg.multi_asset(
    name=ASSET_NAME,
    specs=[INTERACTIONS_SPEC],
    partitions_def=cxone_daily_partitions,
    backfill_policy=CXONE_BACKFILL_POLICY,
    pool="cxone_api",
    retry_policy=TRANSIENT_RETRY,
    check_specs=CHECK_SPECS,
)
def cxone_interactions(
    context: dg.AssetExecutionContext, cxone: CxoneResource, catalog: CatalogResource
) -> Iterator[Any]:
    """Land the run's days, record each day's metadata and the checks; fail on low integrity."""
    days = [dt.date.fromisoformat(key) for key in context.partition_keys]
    mode = cxone.checked_mode()
    context.log.info(f"{len(days)} day(s) from {cxone.describe_target()}")
    try:
        landed, api_base = _land(context, cxone, catalog, days)
    except CxoneFlowError as exc:  # only errors a retry could fix are retried
        raise dg.Failure(description=str(exc), allow_retries=exc.retriable) from None
    except (ApiError, DiscoveryError, ValueError) as exc:  # discovery, tokens, settings
        transient = isinstance(exc, ApiError) and exc.transient
        raise dg.Failure(
            description=f"CXone {mode} mode could not start: {exc}", allow_retries=transient
        ) from None

    context.add_asset_metadata(
        metadata.run_metadata(cxone.describe_target(), mode, cxone.is_emulator, api_base)
    )
    for day in landed:
        context.add_asset_metadata(metadata.day_metadata(day), partition_key=day.day.isoformat())
    yield dg.MaterializeResult(asset_key=ASSET_KEY)
    selected = {key.name for key in context.selected_asset_check_keys}
    integrity: dg.AssetCheckResult | None = None
    if checks.INTEGRITY_AT_LEAST_THRESHOLD in selected:
        integrity = checks.integrity_at_least_threshold(landed, cxone.integrity_threshold)
        yield integrity
    if checks.ROWS_MATCH_RECORDS in selected:
        yield checks.rows_match_records(landed)
    if integrity is not None and not integrity.passed:
        failure = checks.integrity_failure(landed, cxone.integrity_threshold)
        if failure is not None:  # below the threshold (a run without records only warns)
            raise failure


def _land(
    context: dg.AssetExecutionContext,
    cxone: CxoneResource,
    catalog: CatalogResource,
    days: list[dt.date],
) -> tuple[list[LandedDay], str]:
    """Read and land the run's days in the resource's mode; (landed days, API base URL)."""
    run_id = context.run.run_id
    with ExitStack() as stack:
        webhook = stack.enter_context(cxone.webhook_client()) if cxone.lake_webhook_url else None
        common: dict[str, Any] = {
            "run_id": run_id,
            "log": context.log,
            "webhook": webhook,
            "webhook_chunk_size": cxone.webhook_chunk_size,
        }
        if cxone.mode == "tutorial":
            client = stack.enter_context(cxone.export_client())
            ranges = cxone_tutorial.plan_exports(
                days, target=cxone.describe_target(), log=context.log
            )
            landed = cxone_tutorial.land_exports(client, ranges, catalog.layout, **common)
            return landed, client.api.base_url
        connection = stack.enter_context(cxone.platform_connection())
        how = "discovered" if connection.discovered else "set by CXONE_API_URL"
        context.log.info(f"CXone API base {connection.api_base} ({how})")
        landed = cxone_platform.land_days(
            connection.contacts, days, catalog.layout, policy=cxone.pull_policy(), **common
        )
        return landed, connection.api_base
