"""Privacy request assets: submit (validated, idempotent) and export (verified download).

Each request is one partition of `privacy_requests`. The submit run files the request and ends;
the tracking sensor follows it and launches the export run when it completes (no run sleeps).
The steps themselves live in `cx_assets.flows.privacy_steps`; these assets turn their results
into metadata and the audit-trail check, and their errors into `dg.Failure`s. The export is
personal data: metadata and logs see its path, size, checksum and record count, never its content.
"""

from typing import Any

import dagster as dg
from pydantic import Field

from cx_assets.defs.policies import OWNERS, TRANSIENT_RETRY
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.privacy import FLOW
from cx_assets.flows.privacy_claims import CLAIM_TAG
from cx_assets.flows.privacy_steps import (
    AuditTrail,
    NotSubmitted,
    StepFailed,
    download_export,
    submit_request,
)

GROUP = "privacy"
SUBMIT = "privacy_request"
EXPORT = "privacy_export"
TRAIL_COMPLETE = "audit_trail_complete"


class PrivacyRequestConfig(dg.Config):
    """A launch from the UI names a request file; it never carries an identifier (run config
    is kept in Dagster's storage, for everyone who can open the UI to read)."""

    request_file: str | None = Field(
        default=None,
        description="Path of a request file (YAML/JSON, as for the requests folder) to file "
        "for this partition; empty: the file the requests sensor picked up.",
    )


def _claim(context: dg.AssetExecutionContext) -> str | None:
    return context.run.tags.get(CLAIM_TAG)


@dg.asset(
    name=SUBMIT,
    group_name=GROUP,
    partitions_def=privacy_requests,
    pool="genesys_api",
    kinds={"genesys", "duckdb"},
    retry_policy=TRANSIENT_RETRY,
    owners=OWNERS,
    description="Validates a privacy export request and files it with Genesys Cloud, once (one "
    "partition per request; launched by privacy_requests_sensor when a request file is dropped "
    "in <data root>/privacy/requests/, or from the UI with run config request_file). "
    "server_status in the partition's metadata is the request's current status: the submit run "
    "records the status at filing, and privacy_tracking_sensor records every later change as an "
    "observation of the partition under the same key (the newest value is shown; the Events "
    "tab lists each change with previous_status and status_via: poll or callback).",
)
def privacy_request(
    context: dg.AssetExecutionContext,
    config: PrivacyRequestConfig,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
) -> dg.MaterializeResult:
    try:
        submitted = submit_request(
            genesys,
            catalog.layout,
            context.partition_key,
            config.request_file,
            context.log,
            claim=_claim(context),
            run_id=context.run_id,
        )
    except StepFailed as exc:
        raise dg.Failure(description=str(exc), allow_retries=exc.retriable) from None
    summary = submitted.summary
    metadata: dict[str, Any] = {
        "request_id": submitted.request_id,
        "server_status": submitted.server_status,
        "api_mode": summary.get("api_mode") or "tutorial",
        "subject_ref": summary.get("subject_ref"),
        "origin": submitted.origin,
        "requests": submitted.requests,
        "retries": submitted.retries,
        "target": genesys.describe_target(FLOW),
    }
    if summary.get("api_mode") == "platform":
        metadata["request_type"] = summary.get("request_type")
        counts = summary.get("identifiers") or {}
        metadata["identifiers"] = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    else:
        metadata.update(
            entity_type=summary.get("entity_type"),
            data_types=", ".join(summary.get("data_types") or ()),
            time_range=f"{summary.get('start')} .. {summary.get('end')}",
            format=summary.get("format"),
            callback=summary.get("callback") or "none (polling only)",
        )
    return dg.MaterializeResult(metadata={k: v for k, v in metadata.items() if v is not None})


def trail_check(trail: AuditTrail) -> dg.AssetCheckResult:
    """Every delivered request has validated → submitted → COMPLETED → downloaded → verified."""
    return dg.AssetCheckResult(
        check_name=TRAIL_COMPLETE,
        passed=not trail.missing,
        description=(
            f"the request's audit trail lacks {', '.join(trail.missing)}"
            if trail.missing
            else f"complete: {len(trail.seen)} entries, request to delivery"
        ),
        metadata={
            "entries": len(trail.seen),
            "missing": ", ".join(trail.missing) or "none",
            "trail": " → ".join(trail.seen),
        },
    )


@dg.asset(
    name=EXPORT,
    group_name=GROUP,
    partitions_def=privacy_requests,
    deps=[SUBMIT],
    pool="genesys_api",
    kinds={"genesys", "duckdb"},
    retry_policy=TRANSIENT_RETRY,
    owners=OWNERS,
    check_specs=[
        dg.AssetCheckSpec(
            TRAIL_COMPLETE,
            asset=EXPORT,
            description="The audit log holds the request's complete trail, request to delivery.",
        )
    ],
    description="Downloads a completed privacy export, verified (SHA-256), into the owner-only "
    "privacy area <data root>/privacy/exports/<request>/ (never the lake). Launched by "
    "privacy_tracking_sensor when the request completes; a failure names the request and the "
    "step (a retry never files the request again). Metadata shows path, size, checksum and "
    "record count, never the export's content.",
)
def privacy_export(
    context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.MaterializeResult:
    try:
        delivered = download_export(
            genesys,
            catalog.layout,
            context.partition_key,
            context.log,
            claim=_claim(context),
            run_id=context.run_id,
        )
    except NotSubmitted as exc:
        raise dg.Failure(
            description=f"Privacy request {exc.key} was never submitted: materialize {SUBMIT} "
            "first",
            allow_retries=False,
        ) from None
    except StepFailed as exc:
        raise dg.Failure(description=str(exc), allow_retries=exc.retriable) from None
    return dg.MaterializeResult(
        metadata={
            "request_id": delivered.request_id,
            "path": delivered.path,
            "bytes": delivered.size,
            "sha256": delivered.sha256,
            "files": delivered.files,
            "completion_source": delivered.completion_source or "manual",
            **(
                {"dagster/row_count": delivered.record_count}
                if delivered.record_count is not None
                else {}
            ),
        },
        check_results=[trail_check(delivered.trail)],
    )


submit_job = dg.define_asset_job(
    "privacy_submit_job",
    metadata={"owners": ", ".join(OWNERS)},
    selection=[SUBMIT],
    description="Files one privacy request (a partition) with Genesys Cloud, exactly once; "
    "privacy_requests_sensor launches it for each dropped request file.",
)
download_job = dg.define_asset_job(
    "privacy_download_job",
    metadata={"owners": ", ".join(OWNERS)},
    selection=[EXPORT],
    description="Downloads one completed privacy export, verified, and checks its audit trail; "
    "privacy_tracking_sensor launches it when the request completes.",
)
