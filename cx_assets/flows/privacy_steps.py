"""The two runs of a privacy request: file it once, then download its export verified.

`submit_request` validates the declared request (run config or the requests folder), audits it
and files it with Genesys Cloud (idempotent: the requestId derives from the partition key), then
leaves it to the tracking sensor; nothing here sleeps. `download_export` streams the completed
export into the owner-only privacy area, verified against the server's checksum, records the
delivery and reads back the audit trail. The export is personal data: results carry its path,
size, checksum and record count, never its content.

No Dagster here: `defs/privacy/assets.py` turns the results into metadata and check results, and
`StepFailed` (with `retriable`) or `NotSubmitted` into `dg.Failure`s. Any other exception is
transient trouble a fresh run attempt may fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.catalog import privacy as cat
from cx_assets.flows import privacy_requests as requests_folder
from cx_assets.flows.context import ProgressLog
from cx_assets.flows.privacy import FLOW, PrivacyGenesys
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
from cx_assets.lake.paths import DataLayout, validate_token
from cx_assets.lake.privacy import PrivacyArea, private_dir

#: The audit actions a delivered request must have, in this order.
REQUIRED_TRAIL = ("validated", "submitted", "status_changed:COMPLETED", "downloaded", "verified")
FIRST_POLL_S = 2.0
RUN_CONFIG = "run config"


class StepFailed(Exception):
    """A step failed with a message for the user; `retriable` says if a new attempt could help."""

    def __init__(self, message: str, *, retriable: bool) -> None:
        super().__init__(message)
        self.retriable = retriable


class NotSubmitted(Exception):
    """The download was asked for a request that was never submitted (not retriable)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"privacy request {key} was never submitted")
        self.key = key


@dataclass(frozen=True)
class Submitted:
    """A filed request: its id, the server's status, what was asked (no subject id), where from."""

    request_id: str
    server_status: str
    summary: dict[str, Any]
    origin: str
    requests: int
    retries: int


@dataclass(frozen=True)
class AuditTrail:
    """The request's audit actions in order, and the required ones it lacks."""

    seen: list[str]
    missing: list[str]


@dataclass(frozen=True)
class Delivered:
    """A verified export in the privacy area (`path` is data-root relative) and its trail."""

    request_id: str
    path: str
    size: int
    sha256: str
    record_count: int
    completion_source: str | None
    trail: AuditTrail


def submit_request(
    genesys: PrivacyGenesys,
    layout: DataLayout,
    partition_key: str,
    given: dict[str, Any] | None,
    log: ProgressLog,
) -> Submitted:
    """Validate the request `given` in run config (else the one declared for `partition_key`),
    audit it and file it once; `StepFailed` names what went wrong."""
    key = validate_token(partition_key, "privacy request key")
    area = PrivacyArea(layout.root).ensure()
    request_id = derive_request_id(key)
    actor = genesys.client_id
    origin = RUN_CONFIG
    if given is None:
        given, origin = requests_folder.load_declared(area, key), requests_folder.ORIGIN
    if given is None:
        raise StepFailed(
            f"No request is declared for partition {key!r}: launch with run config "
            f"or drop {key}.yaml into {area.requests_dir}",
            retriable=False,
        )
    try:
        request = validate_request(given)
    except InvalidPrivacyRequest as exc:
        cat.reject(
            layout.catalog_path,
            partition_key=key,
            request_id=request_id,
            problems=exc.problems,
            actor=actor,
            origin=origin,
        )
        raise StepFailed(f"Request {key} rejected: {exc}", retriable=False) from None
    if origin == RUN_CONFIG:
        requests_folder.store_declared(area, key, request)
    cat.declare(
        layout.catalog_path,
        partition_key=key,
        request_id=request_id,
        summary=request.summary(),
        actor=actor,
        origin=origin,
    )
    log.info(
        f"Filing privacy request {key} ({request_id}) for a {request.entity_type} on "
        f"{genesys.describe_target(FLOW)}"
    )
    try:
        with genesys.api_client(PRIVACY_SCOPES, flow=FLOW) as api:
            submission = PrivacyClient(api).submit(request_id, request)
            stats = api.stats.as_dict()
    except ApiError as exc:
        if exc.status == 400:
            cat.reject(
                layout.catalog_path,
                partition_key=key,
                request_id=request_id,
                problems=[("server", exc.message)],
                actor=actor,
                origin="server",
            )
        raise StepFailed(
            f"Filing privacy request {key} failed: {exc}", retriable=exc.transient
        ) from None
    cat.record_submitted(
        layout.catalog_path,
        partition_key=key,
        request_id=request_id,
        status=submission.status.status,
        actor=actor,
        api_base_url=genesys.base_urls()[0],
        is_emulator=genesys.is_emulator,
        latency_ms=submission.latency_ms,
        next_poll_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=FIRST_POLL_S),
    )
    return Submitted(
        request_id=request_id,
        server_status=submission.status.status,
        summary=request.summary(),
        origin=origin,
        requests=int(stats.get("requests", 0)),
        retries=int(stats.get("retries", 0)),
    )


def count_records(path: Path, fmt: str) -> int:
    """Records in an export (json: items across data types; csv: distinct (type, record))."""
    if fmt == "json":
        data = json.loads(path.read_bytes()).get("data") or {}
        return sum(len(items) for items in data.values() if isinstance(items, list))
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return len({(row.get("data_type"), row.get("record_id")) for row in reader})


def audit_trail(catalog_path: Path, request_id: str) -> AuditTrail:
    """Every delivered request has validated → submitted → COMPLETED → downloaded → verified."""
    seen: list[str] = []
    for entry in cat.trail(catalog_path, request_id):
        action = entry["action"]
        if action == "status_changed":
            action = f"status_changed:{entry['details'].get('to')}"
        seen.append(action)
    return AuditTrail(seen, [a for a in REQUIRED_TRAIL if a not in seen])


def download_export(
    genesys: PrivacyGenesys, layout: DataLayout, partition_key: str, log: ProgressLog
) -> Delivered:
    """Download the completed export of `partition_key`, verified, and record the delivery.

    `NotSubmitted`, or `StepFailed` (not retriable) when the request FAILED or is not ready; a
    download error is audited and re-raised as it is, for the run's retry."""
    key = validate_token(partition_key, "privacy request key")
    catalog_path = layout.catalog_path
    row = cat.request_row(catalog_path, key)
    if row is None or row["submitted_at"] is None:
        raise NotSubmitted(key)
    area = PrivacyArea(layout.root).ensure()
    fmt = row["format"] or "json"
    dest = area.export_path(key, fmt)
    private_dir(dest.parent)
    actor = genesys.client_id
    started = time.monotonic()
    try:
        with genesys.api_client(PRIVACY_SCOPES, flow=FLOW) as api:
            verified = PrivacyClient(api).download(row.request_id, dest)
    except (PrivacyRequestFailed, NotReady) as exc:
        raise StepFailed(str(exc), retriable=False) from None
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
    relative = str(dest.relative_to(layout.root))
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
    log.info(f"Privacy export {key}: {verified.size} bytes verified at {relative}")
    return Delivered(
        request_id=row.request_id,
        path=relative,
        size=verified.size,
        sha256=verified.sha256,
        record_count=records,
        completion_source=row["completion_source"],
        trail=audit_trail(catalog_path, row.request_id),
    )
