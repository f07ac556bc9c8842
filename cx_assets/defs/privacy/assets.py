"""Privacy request assets: submit (validated, idempotent) and export (verified download).

Each request is one partition of `privacy_requests`. The submit run files the request and ends;
the tracking sensor follows it and launches the export run when it completes (no run sleeps).
The steps themselves live in `cx_assets.flows.privacy_steps`; these assets turn their results
into metadata and the audit-trail check, and their errors into `dg.Failure`s. The export is
personal data: metadata and logs see its path, size, checksum and record count, never its content.
"""

from typing import Any

import dagster as dg

from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
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
    """Launch with these to declare a request from the UI; leave empty to use the request
    file the requests sensor picked up for this partition."""

    entity_type: str | None = None
    entity_id: str | None = None
    data_types: list[str] = []
    format: str = "json"
    start: str | None = None
    end: str | None = None
    callback_url: str | None = None

    def as_request(self) -> dict[str, Any] | None:
        if self.entity_type is None and self.entity_id is None:
            return None
        data: dict[str, Any] = {
            "entityType": self.entity_type,
            "entityId": self.entity_id,
            "dataTypes": self.data_types,
            "format": self.format,
            "timeRange": {"start": self.start, "end": self.end},
        }
        if self.callback_url:
            data["callbackUrl"] = self.callback_url
        return data


@dg.asset(
    name=SUBMIT,
    group_name=GROUP,
    partitions_def=privacy_requests,
    pool="genesys_api",
    kinds={"genesys", "duckdb"},
    retry_policy=TRANSIENT_RETRY,
    description="Validates a privacy export request and files it with Genesys Cloud, once.",
)
def privacy_request(
    context: dg.AssetExecutionContext,
    config: PrivacyRequestConfig,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
) -> dg.MaterializeResult:
    try:
        submitted = submit_request(
            genesys, catalog.layout, context.partition_key, config.as_request(), context.log
        )
    except StepFailed as exc:
        raise dg.Failure(description=str(exc), allow_retries=exc.retriable) from None
    summary = submitted.summary
    return dg.MaterializeResult(
        metadata={
            "request_id": submitted.request_id,
            "server_status": submitted.server_status,
            "entity_type": summary["entity_type"],
            "subject_ref": summary["subject_ref"],
            "data_types": ", ".join(summary["data_types"]),
            "time_range": f"{summary['start']} .. {summary['end']}",
            "format": summary["format"],
            "callback": summary["callback"] or "none (polling only)",
            "origin": submitted.origin,
            "requests": submitted.requests,
            "retries": submitted.retries,
        }
    )


def trail_check(trail: AuditTrail) -> dg.AssetCheckResult:
    """Every delivered request has validated → submitted → COMPLETED → downloaded → verified."""
    return dg.AssetCheckResult(
        check_name=TRAIL_COMPLETE,
        passed=not trail.missing,
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
    check_specs=[
        dg.AssetCheckSpec(
            TRAIL_COMPLETE,
            asset=EXPORT,
            description="The audit log holds the request's complete trail, request to delivery.",
        )
    ],
    description="Downloads a completed privacy export, verified, into the owner-only privacy "
    "area. Launched by the tracking sensor when the request completes.",
)
def privacy_export(
    context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.MaterializeResult:
    try:
        delivered = download_export(genesys, catalog.layout, context.partition_key, context.log)
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
            "dagster/row_count": delivered.record_count,
            "completion_source": delivered.completion_source or "manual",
        },
        check_results=[trail_check(delivered.trail)],
    )


submit_job = dg.define_asset_job(
    "privacy_submit_job", selection=[SUBMIT], partitions_def=privacy_requests
)
download_job = dg.define_asset_job(
    "privacy_download_job", selection=[EXPORT], partitions_def=privacy_requests
)
