"""The two runs of a privacy request: file it once, then download its export verified.

`submit_request` validates the declared request (a request file named in run config, or the one
the requests folder declared), audits it and files it with Genesys Cloud once: in tutorial mode
the requestId derives from the partition key and the server dedupes; in platform mode
(`privacy_platform.file_once`) the catalog records the attempt and the server's id, and a retry
looks for what it filed. Then it leaves the request to the tracking sensor; nothing here sleeps.
`download_export` streams the results into the owner-only privacy area (tutorial: verified
against the server's checksum; platform: every results file, size-checked, SHA-256 ours),
records the delivery and reads back the audit trail. Each run works under its claim
(`catalog/privacy_claims.py`). The export is personal data: results carry its path, size,
checksums and record count, never its content.

No Dagster here: `defs/privacy/assets.py` turns the results into metadata and check results, and
`StepFailed` (with `retriable`) or `NotSubmitted` into `dg.Failure`s. Any other exception is
transient trouble a fresh run attempt may fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cx_assets.catalog import privacy as cat
from cx_assets.flows import privacy_platform
from cx_assets.flows import privacy_requests as requests_folder
from cx_assets.flows.context import ProgressLog
from cx_assets.flows.crashpoints import crashpoint
from cx_assets.flows.privacy import FLOW, PrivacyGenesys
from cx_assets.flows.privacy_requests import DeclaredRequest
from cx_assets.genesys.privacy.models import InvalidPrivacyRequest, derive_request_id
from cx_assets.genesys.privacy.platform import ResultsFailed
from cx_assets.genesys.privacy.platform_models import GdprRequestFile
from cx_assets.genesys.privacy.tutorial import (
    PRIVACY_SCOPES,
    NotReady,
    PrivacyClient,
    PrivacyRequestFailed,
)
from cx_assets.http.errors import ApiError, UnreadableResponse
from cx_assets.lake.paths import DataLayout, validate_token
from cx_assets.lake.privacy import PrivacyArea, private_dir

#: The audit actions a delivered request must have, in this order.
REQUIRED_TRAIL = ("validated", "submitted", "status_changed:COMPLETED", "downloaded", "verified")
FIRST_POLL_S = 2.0
RUN_CONFIG = "run config"
#: A request in these states has not been filed yet (or not known to be).
FILING_STATES = ("DECLARED", "SUBMITTING", "SUBMIT_FAILED", "REJECTED")


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
    record_count: int | None
    completion_source: str | None
    trail: AuditTrail
    files: int = 1


def _declared(
    area: PrivacyArea, key: str, mode: str, request_file: str | None
) -> tuple[DeclaredRequest | None, str, list[tuple[str, str]]]:
    """The request to file for `key`: from `request_file` (a launch from the UI names a file,
    never an identifier) or as declared by the requests sensor; with its origin and problems."""
    if request_file is not None:
        dropped = requests_folder.read_request_file(Path(request_file), mode)
        return dropped.request, RUN_CONFIG, dropped.problems
    stored = requests_folder.load_declared(area, key)
    if stored is None:
        return None, requests_folder.ORIGIN, []
    try:
        return requests_folder.validate_for_mode(stored[1], mode), requests_folder.ORIGIN, []
    except InvalidPrivacyRequest as exc:
        return None, requests_folder.ORIGIN, exc.problems


def submit_request(
    genesys: PrivacyGenesys,
    layout: DataLayout,
    partition_key: str,
    request_file: str | None,
    log: ProgressLog,
    *,
    claim: str | None = None,
    run_id: str = "local",
) -> Submitted:
    """Validate the request (`request_file`, else the one declared for `partition_key`), audit
    it and file it once under the run's submit claim; `StepFailed` names what went wrong."""
    key = validate_token(partition_key, "privacy request key")
    area = PrivacyArea(layout.root).ensure()
    request_id = derive_request_id(key)
    actor = genesys.client_id
    mode = genesys.mode_for(FLOW)
    request, origin, problems = _declared(area, key, mode, request_file)
    if request is None and not problems:
        raise StepFailed(
            f"No request is declared for partition {key!r}: drop {key}.yaml into "
            f"{area.requests_dir}, or launch with run config request_file",
            retriable=False,
        )
    if request is None:
        cat.reject(
            layout.catalog_path,
            partition_key=key,
            request_id=request_id,
            problems=problems,
            actor=actor,
            origin=origin,
        )
        reasons = "; ".join(f"{field}: {message}" for field, message in problems)
        raise StepFailed(f"Request {key} rejected: {reasons}", retriable=False)
    if origin == RUN_CONFIG:
        requests_folder.store_declared(area, key, request)
    cat.declare(
        layout.catalog_path,
        partition_key=key,
        request_id=request_id,
        summary=requests_folder.summary_of(area, request),
        actor=actor,
        origin=origin,
        run_id=run_id if origin == RUN_CONFIG else None,
    )
    row = cat.request_row(layout.catalog_path, key)
    if row is not None and row.status not in FILING_STATES:
        return _already_submitted(row, request, origin)
    try:
        cat.take_claim(layout.catalog_path, key, "submit", claim, run_id)
    except cat.StaleClaim as exc:
        raise StepFailed(str(exc), retriable=False) from None
    log.info(f"Filing privacy request {key} ({request_id}) on {genesys.describe_target(FLOW)}")
    try:
        if isinstance(request, GdprRequestFile):
            filed = privacy_platform.file_once(genesys, layout, key, request)
            server_id, status, how = filed.view.id, filed.view.status, filed.how
            latency, requests, retries = filed.latency_ms, filed.requests, filed.retries
        else:
            with genesys.api_client(PRIVACY_SCOPES, flow=FLOW) as api:
                submission = PrivacyClient(api).submit(request_id, request)
                stats = api.stats.as_dict()
            server_id, status, how = request_id, submission.status.status, "filed"
            latency = submission.latency_ms
            requests, retries = int(stats.get("requests", 0)), int(stats.get("retries", 0))
    except privacy_platform.FilingNotFound as exc:
        raise StepFailed(f"Filing privacy request {key}: {exc}", retriable=True) from None
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
        status=status,
        actor=actor,
        api_base_url=genesys.base_urls()[0],
        is_emulator=genesys.is_emulator,
        latency_ms=latency,
        next_poll_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=FIRST_POLL_S),
        server_request_id=server_id,
        how=how,
    )
    crashpoint("privacy.submit.after_record")
    return Submitted(
        request_id=request_id,
        server_status=status,
        summary=requests_folder.summary_of(area, request),
        origin=origin,
        requests=requests,
        retries=retries,
    )


def _already_submitted(row: cat.PrivacyRow, request: DeclaredRequest, origin: str) -> Submitted:
    area_summary = {k: row[k] for k in ("api_mode", "request_type", "subject_ref")}
    return Submitted(
        request_id=row.request_id,
        server_status=str(row["server_status"] or row.status),
        summary={**area_summary, "api_mode": requests_folder.api_mode_of(request)},
        origin=origin,
        requests=0,
        retries=0,
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
    genesys: PrivacyGenesys,
    layout: DataLayout,
    partition_key: str,
    log: ProgressLog,
    *,
    claim: str | None = None,
    run_id: str = "local",
) -> Delivered:
    """Download the completed export of `partition_key` under the run's download claim, verified,
    and record the delivery. Already delivered: the delivery as recorded (nothing downloaded).

    `NotSubmitted`, or `StepFailed` (not retriable) when the request FAILED, is not ready, its
    answer cannot be read (a retry would read the same) or another run holds it; a download
    error is audited and re-raised as it is, for the run's retry (the tracking sensor hands the
    claim back if the run fails for good)."""
    key = validate_token(partition_key, "privacy request key")
    catalog_path = layout.catalog_path
    row = cat.request_row(catalog_path, key)
    if row is None or row["submitted_at"] is None:
        raise NotSubmitted(key)
    if row.status == "DELIVERED":
        return _delivered(catalog_path, row, layout.root)
    try:
        cat.take_claim(catalog_path, key, "download", claim, run_id)
    except cat.StaleClaim as exc:
        raise StepFailed(str(exc), retriable=False) from None
    actor = genesys.client_id
    started = time.monotonic()
    try:
        if row["api_mode"] == "platform":
            stored = _download_platform(genesys, layout, row)
        else:
            stored = _download_tutorial(genesys, layout, row)
    except (PrivacyRequestFailed, NotReady, ResultsFailed, UnreadableResponse) as exc:
        cat.record_download_failed(
            catalog_path, partition_key=key, request_id=row.request_id, actor=actor, reason=str(exc)
        )
        raise StepFailed(str(exc), retriable=False) from None
    except (ApiError, ValueError, OSError) as exc:
        cat.record_download_failed(
            catalog_path, partition_key=key, request_id=row.request_id, actor=actor, reason=str(exc)
        )
        raise
    crashpoint("privacy.download.before_record")
    cat.record_delivered(
        catalog_path,
        partition_key=key,
        request_id=row.request_id,
        actor=actor,
        path=stored.path,
        size=stored.size,
        sha256=stored.sha256,
        record_count=stored.record_count,
        latency_ms=(time.monotonic() - started) * 1000,
        results=stored.results,
    )
    log.info(f"Privacy export {key}: {stored.size} bytes verified at {stored.path}")
    delivered = cat.request_row(catalog_path, key)
    assert delivered is not None
    return _delivered(catalog_path, delivered, layout.root)


@dataclass(frozen=True)
class _Stored:
    path: str  # data-root relative
    size: int
    sha256: str
    record_count: int | None
    results: list[dict[str, Any]]


def _download_tutorial(genesys: PrivacyGenesys, layout: DataLayout, row: cat.PrivacyRow) -> _Stored:
    area = PrivacyArea(layout.root).ensure()
    fmt = row["format"] or "json"
    dest = area.export_path(row.partition_key, fmt)
    private_dir(dest.parent)
    with genesys.api_client(PRIVACY_SCOPES, flow=FLOW) as api:
        verified = PrivacyClient(api).download(row.request_id, dest)
    relative = str(dest.relative_to(layout.root))
    return _Stored(relative, verified.size, verified.sha256, count_records(dest, fmt), [])


def _download_platform(genesys: PrivacyGenesys, layout: DataLayout, row: cat.PrivacyRow) -> _Stored:
    server_id = row["server_request_id"]
    if not server_id:
        raise NotReady(f"privacy request {row.partition_key} has no Genesys request id yet")
    got = privacy_platform.download_results(
        genesys, layout, row.partition_key, row.request_id, server_id
    )
    return _Stored(
        str(got.folder.relative_to(layout.root)),
        got.size,
        got.manifest_sha256,
        got.record_count,
        [asdict(f) for f in got.files],
    )


def _delivered(catalog_path: Path, row: cat.PrivacyRow, data_root: Path) -> Delivered:
    results = row["results"]
    return Delivered(
        request_id=row.request_id,
        path=str(row["export_path"]),
        size=int(row["bytes"] or 0),
        sha256=str(row["sha256"]),
        record_count=row["record_count"],
        completion_source=row["completion_source"],
        trail=audit_trail(catalog_path, row.request_id),
        files=len(json.loads(results)) if isinstance(results, str) and results else 1,
    )
