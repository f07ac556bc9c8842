"""Privacy request assets: submit (validated, idempotent) and export (verified download).

Each request is one partition of `privacy_requests`. The submit run files the request and ends;
the tracking sensor follows it and launches the export run when it completes (no run sleeps).
The export is personal data: it goes to the privacy area only, and metadata, logs and the catalog
see its path, size, checksum and record count, never its content.
"""

import csv
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import dagster as dg

from cx_assets.catalog import privacy as cat
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows import privacy_requests as requests_folder
from cx_assets.genesys.privacy.models import (
    InvalidPrivacyRequest,
    derive_request_id,
    validate_request,
)
from cx_assets.genesys.privacy.tutorial import (
    PRIVACY_SCOPES,
    NotReady,
    PrivacyClient,
    PrivacyRequestFailed,
)
from cx_assets.http.errors import ApiError
from cx_assets.lake.paths import validate_token
from cx_assets.lake.privacy import PrivacyArea, private_dir

GROUP = "privacy"
SUBMIT = "privacy_request"
EXPORT = "privacy_export"
TRAIL_COMPLETE = "audit_trail_complete"
#: The audit actions a delivered request must have, in this order.
REQUIRED_TRAIL = ("validated", "submitted", "status_changed:COMPLETED", "downloaded", "verified")
FIRST_POLL_S = 2.0


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


def _retriable(exc: ApiError) -> bool:
    return exc.status in (None, 408, 429) or (exc.status or 0) >= 500


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
    key = validate_token(context.partition_key, "privacy request key")
    area = PrivacyArea(catalog.layout.root).ensure()
    request_id = derive_request_id(key)
    actor = genesys.client_id
    given, origin = config.as_request(), "run config"
    if given is None:
        given, origin = requests_folder.load_declared(area, key), "requests folder"
    if given is None:
        raise dg.Failure(
            description=f"No request is declared for partition {key!r}: launch with run config "
            f"or drop {key}.yaml into {area.requests_dir}",
            allow_retries=False,
        )
    try:
        request = validate_request(given)
    except InvalidPrivacyRequest as exc:
        cat.reject(
            catalog.layout.catalog_path,
            partition_key=key,
            request_id=request_id,
            problems=exc.problems,
            actor=actor,
            origin=origin,
        )
        raise dg.Failure(
            description=f"Request {key} rejected: {exc}", allow_retries=False
        ) from None
    if origin == "run config":
        requests_folder.store_declared(area, key, request)
    cat.declare(
        catalog.layout.catalog_path,
        partition_key=key,
        request_id=request_id,
        summary=request.summary(),
        actor=actor,
        origin=origin,
    )
    context.log.info(
        f"Filing privacy request {key} ({request_id}) for a {request.entity_type} on "
        f"{genesys.describe_target()}"
    )
    try:
        with genesys.api_client(PRIVACY_SCOPES) as api:
            submission = PrivacyClient(api).submit(request_id, request)
            stats = api.stats.as_dict()
    except ApiError as exc:
        if exc.status == 400:
            cat.reject(
                catalog.layout.catalog_path,
                partition_key=key,
                request_id=request_id,
                problems=[("server", exc.message)],
                actor=actor,
                origin="server",
            )
        raise dg.Failure(
            description=f"Filing privacy request {key} failed: {exc}",
            allow_retries=_retriable(exc),
        ) from None
    api_url = genesys.base_urls()[0]
    cat.record_submitted(
        catalog.layout.catalog_path,
        partition_key=key,
        request_id=request_id,
        status=submission.status.status,
        actor=actor,
        api_base_url=api_url,
        is_emulator=genesys.is_emulator,
        latency_ms=submission.latency_ms,
        next_poll_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=FIRST_POLL_S),
    )
    summary = request.summary()
    return dg.MaterializeResult(
        metadata={
            "request_id": request_id,
            "server_status": submission.status.status,
            "entity_type": summary["entity_type"],
            "subject_ref": summary["subject_ref"],
            "data_types": ", ".join(summary["data_types"]),
            "time_range": f"{summary['start']} .. {summary['end']}",
            "format": summary["format"],
            "callback": summary["callback"] or "none (polling only)",
            "origin": origin,
            "requests": int(stats.get("requests", 0)),
            "retries": int(stats.get("retries", 0)),
        }
    )


def count_records(path: Path, fmt: str) -> int:
    """Records in an export (json: items across data types; csv: distinct (type, record))."""
    if fmt == "json":
        data = json.loads(path.read_bytes()).get("data") or {}
        return sum(len(items) for items in data.values() if isinstance(items, list))
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return len({(row.get("data_type"), row.get("record_id")) for row in reader})


def trail_check(catalog_path: Path, request_id: str) -> dg.AssetCheckResult:
    """Every delivered request has validated → submitted → COMPLETED → downloaded → verified."""
    seen = []
    for entry in cat.trail(catalog_path, request_id):
        action = entry["action"]
        if action == "status_changed":
            action = f"status_changed:{entry['details'].get('to')}"
        seen.append(action)
    missing = [a for a in REQUIRED_TRAIL if a not in seen]
    return dg.AssetCheckResult(
        check_name=TRAIL_COMPLETE,
        passed=not missing,
        metadata={
            "entries": len(seen),
            "missing": ", ".join(missing) or "none",
            "trail": " → ".join(seen),
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
    key = validate_token(context.partition_key, "privacy request key")
    catalog_path = catalog.layout.catalog_path
    row = cat.request_row(catalog_path, key)
    if row is None or row["submitted_at"] is None:
        raise dg.Failure(
            description=f"Privacy request {key} was never submitted: materialize {SUBMIT} first",
            allow_retries=False,
        )
    area = PrivacyArea(catalog.layout.root).ensure()
    fmt = row["format"] or "json"
    dest = area.export_path(key, fmt)
    private_dir(dest.parent)
    actor = genesys.client_id
    started = time.monotonic()
    try:
        with genesys.api_client(PRIVACY_SCOPES) as api:
            verified = PrivacyClient(api).download(row.request_id, dest)
    except (PrivacyRequestFailed, NotReady) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except (ApiError, ValueError, OSError) as exc:
        cat.record_download_failed(
            catalog_path,
            partition_key=key,
            request_id=row.request_id,
            actor=actor,
            reason=str(exc),
        )
        raise
    records = count_records(dest, fmt)
    relative = str(dest.relative_to(catalog.layout.root))
    cat.record_delivered(
        catalog_path,
        partition_key=key,
        request_id=row.request_id,
        actor=actor,
        path=relative,
        size=verified.size,
        sha256=verified.sha256,
        record_count=records,
        latency_ms=(time.monotonic() - started) * 1000,
    )
    context.log.info(f"Privacy export {key}: {verified.size} bytes verified at {relative}")
    return dg.MaterializeResult(
        metadata={
            "request_id": row.request_id,
            "path": relative,
            "bytes": verified.size,
            "sha256": verified.sha256,
            "dagster/row_count": records,
            "completion_source": row["completion_source"] or "manual",
        },
        check_results=[trail_check(catalog_path, row.request_id)],
    )


submit_job = dg.define_asset_job(
    "privacy_submit_job", selection=[SUBMIT], partitions_def=privacy_requests
)
download_job = dg.define_asset_job(
    "privacy_download_job", selection=[EXPORT], partitions_def=privacy_requests
)
