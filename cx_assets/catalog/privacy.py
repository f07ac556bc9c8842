"""Privacy requests in the catalog: one row of state per request, and its audit trail.

Every change is one short transaction that updates `privacy_requests` and appends to the
hash-chained audit log (flow `privacy`, entity = the requestId), so the trail proves what was
asked, when, by which client, what the server said and what was delivered. Only a summary of the
request reaches the catalog: the subject as a hash, the export as path, size and checksum.

State moves DECLARED → QUEUED → PROCESSING → COMPLETED → DOWNLOADING → DELIVERED, or ends in
REJECTED (failed validation) or FAILED (the server said so). `claim_download` is the one
compare-and-set that lets either the polling path or the webhook path launch a download, never both.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.privacy_tables import REQUEST_COLUMNS
from cx_assets.catalog.queries import query

FLOW = "privacy"
PENDING = ("QUEUED", "PROCESSING")
_COLUMNS = tuple(name for name, _ in REQUEST_COLUMNS)


@dataclass(frozen=True)
class PrivacyRow:
    """A request's current state as the catalog holds it (see privacy_tables.REQUEST_COLUMNS)."""

    partition_key: str
    request_id: str
    status: str
    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _row(values: Mapping[str, Any]) -> PrivacyRow:
    return PrivacyRow(values["partition_key"], values["request_id"], values["status"], values)


def request_row(catalog_path: Path | str, partition_key: str) -> PrivacyRow | None:
    rows = query(
        catalog_path,
        f"SELECT {', '.join(_COLUMNS)} FROM privacy_requests WHERE partition_key = ?",
        [partition_key],
    ).as_dicts()
    return _row(rows[0]) if rows else None


def row_for_request_id(catalog_path: Path | str, request_id: str) -> PrivacyRow | None:
    rows = query(
        catalog_path,
        f"SELECT {', '.join(_COLUMNS)} FROM privacy_requests WHERE request_id = ?",
        [request_id],
    ).as_dicts()
    return _row(rows[0]) if rows else None


def rows_with_status(catalog_path: Path | str, statuses: Sequence[str]) -> list[PrivacyRow]:
    marks = ", ".join("?" for _ in statuses)
    result = query(
        catalog_path,
        f"SELECT {', '.join(_COLUMNS)} FROM privacy_requests WHERE status IN ({marks}) "
        "ORDER BY partition_key",
        list(statuses),
    )
    return [_row(values) for values in result.as_dicts()]


def trail(catalog_path: Path | str, request_id: str) -> list[dict[str, Any]]:
    """The request's audit entries in order: seq, ts, action, actor, details."""
    result = query(
        catalog_path,
        "SELECT seq, ts, action, actor, details FROM audit_log "
        "WHERE flow = ? AND entity = ? ORDER BY seq",
        [FLOW, request_id],
    )
    return [{**row, "details": json.loads(row["details"])} for row in result.as_dicts()]


def _audit(con: Any, action: str, request_id: str, actor: str, details: Mapping[str, Any]) -> None:
    append_audit(con, flow=FLOW, action=action, entity=request_id, actor=actor, details=details)


def declare(
    catalog_path: Path | str,
    *,
    partition_key: str,
    request_id: str,
    summary: Mapping[str, Any],
    actor: str,
    origin: str,
) -> None:
    """Record a validated request (audit `validated`). A request already past DECLARED keeps
    its state, so a retried submit run never rewinds it."""
    now = _now()
    with write_transaction(catalog_path) as con:
        current = con.execute(
            "SELECT status, entity_type, subject_ref, format, data_types, range_start, "
            "range_end, callback, client_id FROM privacy_requests WHERE partition_key = ?",
            [partition_key],
        ).fetchone()
        fields = [
            summary["entity_type"],
            summary["subject_ref"],
            summary["format"],
            json.dumps(summary["data_types"]),
            summary["start"],
            summary["end"],
            summary.get("callback"),
            actor,
        ]
        if current is None:
            con.execute(
                "INSERT INTO privacy_requests (partition_key, request_id, entity_type, "
                "subject_ref, format, data_types, range_start, range_end, callback, client_id, "
                "status, declared_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "'DECLARED', ?, ?)",
                [partition_key, request_id, *fields, now, now],
            )
        elif current[0] == "DECLARED" and _same_declaration(current[1:], fields):
            return  # re-validated unchanged (the submit run after the requests sensor)
        elif current[0] in ("DECLARED", "REJECTED"):
            con.execute(
                "UPDATE privacy_requests SET entity_type = ?, subject_ref = ?, format = ?, "
                "data_types = ?, range_start = ?, range_end = ?, callback = ?, client_id = ?, "
                "status = 'DECLARED', failure_reason = NULL, declared_at = ?, updated_at = ? "
                "WHERE partition_key = ?",
                [*fields, now, now, partition_key],
            )
        else:
            return  # already submitted: the trail has its `validated` entry
        _audit(
            con,
            "validated",
            request_id,
            actor,
            {"partition_key": partition_key, "origin": origin, "outcome": "valid", **summary},
        )


def _same_declaration(stored: Sequence[Any], fields: Sequence[Any]) -> bool:
    def norm(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat()
        if isinstance(value, str) and value[:1] == "[":
            return json.loads(value)
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value).astimezone(dt.UTC).isoformat()
            except ValueError:
                return value
        return value

    return [norm(v) for v in stored] == [norm(v) for v in fields]


def reject(
    catalog_path: Path | str,
    *,
    partition_key: str,
    request_id: str,
    problems: Sequence[tuple[str, str]],
    actor: str,
    origin: str,
    record_state: bool = True,
) -> None:
    """Record a request that broke a rule (audit `rejected`, with each field and limit).
    `record_state=False` only audits (a second file reusing an existing request's name)."""
    now = _now()
    reasons = [f"{field}: {message}" for field, message in problems]
    with write_transaction(catalog_path) as con:
        current = con.execute(
            "SELECT status FROM privacy_requests WHERE partition_key = ?", [partition_key]
        ).fetchone()
        if not record_state:
            pass
        elif current is None:
            con.execute(
                "INSERT INTO privacy_requests (partition_key, request_id, status, "
                "failure_reason, client_id, declared_at, updated_at) "
                "VALUES (?, ?, 'REJECTED', ?, ?, ?, ?)",
                [partition_key, request_id, "; ".join(reasons), actor, now, now],
            )
        elif current[0] in ("DECLARED", "REJECTED"):
            con.execute(
                "UPDATE privacy_requests SET status = 'REJECTED', failure_reason = ?, "
                "updated_at = ? WHERE partition_key = ?",
                ["; ".join(reasons), now, partition_key],
            )
        _audit(
            con,
            "rejected",
            request_id,
            actor,
            {
                "partition_key": partition_key,
                "origin": origin,
                "outcome": "rejected",
                "problems": reasons,
            },
        )


def record_submitted(
    catalog_path: Path | str,
    *,
    partition_key: str,
    request_id: str,
    status: str,
    actor: str,
    api_base_url: str,
    is_emulator: bool,
    latency_ms: float,
    next_poll_at: dt.datetime,
) -> None:
    """The server accepted (or already had) the request: audit `submitted`, start tracking."""
    now = _now()
    with write_transaction(catalog_path) as con:
        current = con.execute(
            "SELECT status FROM privacy_requests WHERE partition_key = ?", [partition_key]
        ).fetchone()
        first = current is not None and current[0] == "DECLARED"
        if first:
            con.execute(
                "UPDATE privacy_requests SET status = ?, submitted_at = ?, api_base_url = ?, "
                "is_emulator = ?, client_id = ?, next_poll_at = ?, poll_attempts = 0, "
                "updated_at = ? WHERE partition_key = ?",
                [status, now, api_base_url, is_emulator, actor, next_poll_at, now, partition_key],
            )
        _audit(
            con,
            "submitted",
            request_id,
            actor,
            {
                "partition_key": partition_key,
                "outcome": "filed" if first else "already filed (idempotent resubmission)",
                "server_status": status,
                "latency_ms": round(latency_ms, 1),
                "api_base_url": api_base_url,
            },
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
) -> str | None:
    """Store what the server (or a verified callback) said; audit `status_changed` when the
    status moved. Returns the previous status. Requests past tracking are left alone."""
    now = _now()
    with write_transaction(catalog_path) as con:
        current = con.execute(
            "SELECT status, request_id FROM privacy_requests WHERE partition_key = ?",
            [partition_key],
        ).fetchone()
        if current is None or current[0] not in PENDING:
            return current[0] if current else None
        previous, request_id = current
        completed = status in ("COMPLETED", "FAILED")
        con.execute(
            "UPDATE privacy_requests SET status = ?, failure_reason = ?, poll_attempts = ?, "
            "last_polled_at = CASE WHEN ? = 'poll' THEN ? ELSE last_polled_at END, "
            "next_poll_at = ?, completed_at = CASE WHEN ? THEN ? ELSE completed_at END, "
            "completion_source = CASE WHEN ? THEN ? ELSE completion_source END, updated_at = ? "
            "WHERE partition_key = ?",
            [
                status,
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
                partition_key,
            ],
        )
        if status != previous:
            details: dict[str, Any] = {
                "partition_key": partition_key,
                "from": previous,
                "to": status,
                "source": source,
                "outcome": status.lower(),
            }
            if latency_ms is not None:
                details["latency_ms"] = round(latency_ms, 1)
            if failure_reason:
                details["failure_reason"] = failure_reason
            _audit(con, "status_changed", request_id, actor, details)
        return str(previous)


def claim_download(catalog_path: Path | str, partition_key: str, actor: str) -> bool:
    """COMPLETED → DOWNLOADING, once: True for the one caller that made the move."""
    now = _now()
    with write_transaction(catalog_path) as con:
        claimed = con.execute(
            "UPDATE privacy_requests SET status = 'DOWNLOADING', download_requested_at = ?, "
            "updated_at = ? WHERE partition_key = ? AND status = 'COMPLETED' "
            "RETURNING request_id, completion_source",
            [now, now, partition_key],
        ).fetchone()
        if claimed is None:
            return False
        _audit(
            con,
            "download_requested",
            claimed[0],
            actor,
            {"partition_key": partition_key, "source": claimed[1], "outcome": "launched"},
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
) -> None:
    """The export is on disk and verified: audit `downloaded` then `verified`."""
    now = _now()
    with write_transaction(catalog_path) as con:
        con.execute(
            "UPDATE privacy_requests SET status = 'DELIVERED', delivered_at = ?, "
            "export_path = ?, bytes = ?, sha256 = ?, record_count = ?, updated_at = ? "
            "WHERE partition_key = ?",
            [now, path, size, sha256, record_count, now, partition_key],
        )
        base = {"partition_key": partition_key, "path": path, "size": size, "sha256": sha256}
        _audit(
            con,
            "downloaded",
            request_id,
            actor,
            {**base, "latency_ms": round(latency_ms, 1), "outcome": "stored"},
        )
        _audit(
            con,
            "verified",
            request_id,
            actor,
            {**base, "record_count": record_count, "outcome": "checksum and size match"},
        )


def record_download_failed(
    catalog_path: Path | str, *, partition_key: str, request_id: str, actor: str, reason: str
) -> None:
    """Audit a failed download; the request stays DOWNLOADING for the run's retry (or a
    re-run from the UI), so the sensor never launches a second download of its own."""
    with write_transaction(catalog_path) as con:
        _audit(
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
        _audit(con, action, request_id, actor, dict(details))


# -- retention -------------------------------------------------------------------------------


def expired_exports(catalog_path: Path | str, delivered_before: dt.datetime) -> list[PrivacyRow]:
    """Delivered exports not yet deleted whose delivery is older than `delivered_before`."""
    result = query(
        catalog_path,
        f"SELECT {', '.join(_COLUMNS)} FROM privacy_requests WHERE status = 'DELIVERED' "
        "AND deleted_at IS NULL AND delivered_at < ? ORDER BY delivered_at, partition_key",
        [delivered_before],
    )
    return [_row(values) for values in result.as_dicts()]


def record_deleted(
    catalog_path: Path | str,
    *,
    partition_key: str,
    actor: str,
    retention_days: float,
    removed: Sequence[str],
) -> bool:
    """Mark the export deleted (`deleted_at`) and audit `deleted` with the request id, path and
    checksum it had (no personal data). False, and nothing audited, if it was marked before."""
    now = _now()
    with write_transaction(catalog_path) as con:
        marked = con.execute(
            "UPDATE privacy_requests SET deleted_at = ?, updated_at = ? "
            "WHERE partition_key = ? AND deleted_at IS NULL "
            "RETURNING request_id, export_path, sha256, bytes, delivered_at",
            [now, now, partition_key],
        ).fetchone()
        if marked is None:
            return False
        request_id, path, sha256, size, delivered_at = marked
        _audit(
            con,
            "deleted",
            request_id,
            actor,
            {
                "partition_key": partition_key,
                "path": path,
                "sha256": sha256,
                "size": size,
                "delivered_at": delivered_at,
                "retention_days": retention_days,
                "removed": list(removed),
                "outcome": "deleted" if removed else "already absent",
            },
        )
        return True
