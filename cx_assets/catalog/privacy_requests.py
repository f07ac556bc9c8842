"""Privacy requests from a validated (or rejected) file to a request the server has filed.

`declare` records a request that passed validation, `reject` one that broke a rule, and
`record_submitted` the server's acceptance, each one short transaction that updates
`privacy_requests` and appends to the request's audit trail. Only a summary reaches the catalog:
the subject as a hash, never personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.privacy_rows import audit, utc_now


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
    now = utc_now()
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
        audit(
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
    now = utc_now()
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
        audit(
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
    now = utc_now()
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
        audit(
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
