"""Privacy requests from filed to delivered: status changes, the one download, callbacks.

`record_poll` stores what the server (or a verified callback) said (the GDPR API's ERROR is
FAILED here), and `record_delivered` keeps the export as path, size and checksums. The one
download per request is a claim (`privacy_claims.open_claim`), so the polling path and the
webhook path together still launch one. Each is one short
transaction that updates `privacy_requests` and appends to the request's audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.privacy_rows import (
    PENDING,
    audit,
    audit_status_change,
    settled,
    utc_now,
)


def record_poll(
    catalog_path: Path | str,
    *,
    partition_key: str,
    status: str,
    failure_reason: str | None,
    actor: str,
    source: str,
    latency_ms: float | None,
    next_poll_at: dt.datetime | None,
    attempts: int,
) -> tuple[str, str] | None:
    """Store what the server (or a verified callback) said; audit `status_changed` when the
    status moved. Returns (from, to) when it moved, else None. Requests past tracking are left
    alone."""
    now = utc_now()
    with write_transaction(catalog_path) as con:
        current = con.execute(
            "SELECT status, request_id FROM privacy_requests WHERE partition_key = ?",
            [partition_key],
        ).fetchone()
        if current is None or current[0] not in PENDING:
            return None
        previous, request_id = current
        server_status = status
        status, failure_reason = settled(status, failure_reason)
        completed = status in ("COMPLETED", "FAILED")
        con.execute(
            "UPDATE privacy_requests SET status = ?, server_status = ?, failure_reason = ?, "
            "poll_attempts = ?, "
            "last_polled_at = CASE WHEN ? = 'poll' THEN ? ELSE last_polled_at END, "
            "next_poll_at = ?, completed_at = CASE WHEN ? THEN ? ELSE completed_at END, "
            "completion_source = CASE WHEN ? THEN ? ELSE completion_source END, updated_at = ?, "
            "poll_error = CASE WHEN ? = 'poll' THEN NULL ELSE poll_error END "
            "WHERE partition_key = ?",
            [
                status,
                server_status,
                failure_reason,
                attempts,
                source,
                now,
                next_poll_at,
                completed,
                now,
                completed,
                source,
                now,
                source,
                partition_key,
            ],
        )
        if status == previous:
            return None
        audit_status_change(
            con,
            request_id,
            actor,
            {"partition_key": partition_key, "from": previous, "to": status, "source": source},
            latency_ms=latency_ms,
            failure_reason=failure_reason,
        )
        return str(previous), status


def record_poll_failure(
    catalog_path: Path | str,
    *,
    partition_key: str,
    error: str,
    actor: str,
    next_poll_at: dt.datetime,
    attempts: int,
) -> bool:
    """A status poll that failed (no answer, or one that could not be read): keep the request's
    backoff going and audit `poll_failed` once per distinct error, not on every tick. Returns
    True when the error was new (and audited)."""
    now = utc_now()
    with write_transaction(catalog_path) as con:
        current = con.execute(
            "SELECT status, request_id, poll_error FROM privacy_requests WHERE partition_key = ?",
            [partition_key],
        ).fetchone()
        if current is None or current[0] not in PENDING:
            return False
        _, request_id, previous_error = current
        con.execute(
            "UPDATE privacy_requests SET poll_attempts = ?, last_polled_at = ?, "
            "next_poll_at = ?, poll_error = ?, updated_at = ? WHERE partition_key = ?",
            [attempts, now, next_poll_at, error, now, partition_key],
        )
        if error == previous_error:
            return False
        audit(
            con,
            "poll_failed",
            request_id,
            actor,
            {
                "partition_key": partition_key,
                "outcome": "will retry with backoff",
                "reason": error,
                "next_poll_at": next_poll_at.isoformat(),
            },
        )
        return True


def record_delivered(
    catalog_path: Path | str,
    *,
    partition_key: str,
    request_id: str,
    actor: str,
    path: str,
    size: int,
    sha256: str,
    record_count: int | None,
    latency_ms: float,
    results: Sequence[Mapping[str, Any]] = (),
) -> None:
    """The export is on disk and verified: audit `downloaded` then `verified`, close the claim.
    `results`: each downloaded file (name, size, sha256) when the server sent several."""
    now = utc_now()
    with write_transaction(catalog_path) as con:
        con.execute(
            "UPDATE privacy_requests SET status = 'DELIVERED', delivered_at = ?, "
            "export_path = ?, bytes = ?, sha256 = ?, record_count = ?, results = ?, "
            "claim = NULL, claim_run_id = NULL, launches = 0, updated_at = ? "
            "WHERE partition_key = ?",
            [now, path, size, sha256, record_count, json.dumps(list(results)), now, partition_key],
        )
        base = {"partition_key": partition_key, "path": path, "size": size, "sha256": sha256}
        if results:
            base["files"] = len(results)
        audit(
            con,
            "downloaded",
            request_id,
            actor,
            {**base, "latency_ms": round(latency_ms, 1), "outcome": "stored"},
        )
        audit(
            con,
            "verified",
            request_id,
            actor,
            {**base, "record_count": record_count, "outcome": "checksum and size match"},
        )


def record_download_failed(
    catalog_path: Path | str, *, partition_key: str, request_id: str, actor: str, reason: str
) -> None:
    """Audit a failed download attempt; the request stays DOWNLOADING under its claim for the
    run's retry, and the tracking sensor hands the claim back if the run fails for good."""
    with write_transaction(catalog_path) as con:
        audit(
            con,
            "download_failed",
            request_id,
            actor,
            {"partition_key": partition_key, "outcome": "failed", "reason": reason},
        )


def record_callback(
    catalog_path: Path | str,
    *,
    request_id: str,
    actor: str,
    accepted: bool,
    details: Mapping[str, Any],
) -> None:
    """Audit a completion callback: `callback_received` or `callback_rejected`."""
    action = "callback_received" if accepted else "callback_rejected"
    with write_transaction(catalog_path) as con:
        audit(con, action, request_id, actor, dict(details))
