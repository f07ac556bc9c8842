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
from cx_assets.catalog.privacy_rows import (
    PENDING,
    audit,
    audit_status_change,
    settled,
    utc_now,
)


def declare(
    catalog_path: Path | str,
    *,
    partition_key: str,
    request_id: str,
    summary: Mapping[str, Any],
    actor: str,
    origin: str,
    run_id: str | None = None,
) -> None:
    """Record a validated request (audit `validated`). A request already past DECLARED keeps
    its state, so a retried submit run never rewinds it. `run_id`: the submit run declaring it
    (a launch from the UI) takes the submit claim in the same transaction, so no sensor tick
    launches a second submit run in between."""
    now = utc_now()
    names = (*_DECLARED_FIELDS, "client_id")
    with write_transaction(catalog_path) as con:
        current = con.execute(
            f"SELECT status, {', '.join(names)} FROM privacy_requests WHERE partition_key = ?",
            [partition_key],
        ).fetchone()
        fields = [_declared_value(summary, name) for name in _DECLARED_FIELDS] + [actor]
        if current is None:
            con.execute(
                f"INSERT INTO privacy_requests (partition_key, request_id, {', '.join(names)}, "
                f"status, declared_at, updated_at) VALUES (?, ?, {', '.join('?' for _ in names)}, "
                "'DECLARED', ?, ?)",
                [partition_key, request_id, *fields, now, now],
            )
        elif current[0] == "DECLARED" and _same_declaration(current[1:], fields):
            return  # re-validated unchanged (the submit run after the requests sensor)
        elif current[0] in ("DECLARED", "REJECTED"):
            assignments = ", ".join(f"{name} = ?" for name in names)
            con.execute(
                f"UPDATE privacy_requests SET {assignments}, status = 'DECLARED', "
                "failure_reason = NULL, declared_at = ?, updated_at = ? WHERE partition_key = ?",
                [*fields, now, now, partition_key],
            )
        else:
            return  # already submitted: the trail has its `validated` entry
        if run_id is not None:
            con.execute(
                "UPDATE privacy_requests SET claim = partition_key || '.submit.' || "
                "CAST(coalesce(launches, 0) + 1 AS VARCHAR), claim_run_id = ?, claimed_at = ?, "
                "launches = coalesce(launches, 0) + 1 WHERE partition_key = ? AND claim IS NULL",
                [run_id, now, partition_key],
            )
        audit(
            con,
            "validated",
            request_id,
            actor,
            {"partition_key": partition_key, "origin": origin, "outcome": "valid", **summary},
        )


#: The summary keys each mode gives, stored in the column of the same name (JSON for lists).
_DECLARED_FIELDS = (
    "api_mode",
    "request_type",
    "entity_type",
    "subject_ref",
    "identifiers",
    "format",
    "data_types",
    "range_start",
    "range_end",
    "callback",
)
_SUMMARY_KEYS = {"range_start": "start", "range_end": "end"}


def _declared_value(summary: Mapping[str, Any], name: str) -> Any:
    value = summary.get(_SUMMARY_KEYS.get(name, name))
    if name in ("data_types", "identifiers") and value is not None:
        return json.dumps(value, sort_keys=True)
    return value


def _same_declaration(stored: Sequence[Any], fields: Sequence[Any]) -> bool:
    def norm(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat()
        if isinstance(value, str) and value[:1] in ("[", "{"):
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


def record_filing_started(
    catalog_path: Path | str, *, partition_key: str, actor: str
) -> dt.datetime:
    """About to POST a GDPR request: DECLARED → SUBMITTING, and the first attempt's time kept
    (a retried run looks for what was filed since then before filing again)."""
    now = utc_now()
    with write_transaction(catalog_path) as con:
        row = con.execute(
            "UPDATE privacy_requests SET status = 'SUBMITTING', "
            "filing_started_at = coalesce(filing_started_at, ?), updated_at = ? "
            "WHERE partition_key = ? AND status IN ('DECLARED', 'SUBMITTING', 'SUBMIT_FAILED') "
            "RETURNING request_id, filing_started_at",
            [now, now, partition_key],
        ).fetchone()
        if row is None:
            raise ValueError(f"privacy request {partition_key} is not waiting to be filed")
        if row[1] == now:
            audit(
                con,
                "filing_started",
                row[0],
                actor,
                {"partition_key": partition_key, "outcome": "filing"},
            )
        return row[1]


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
    server_request_id: str | None = None,
    how: str = "filed",
) -> None:
    """The server accepted (or already had) the request: record its id, audit `submitted`,
    close the submit claim and start tracking. `how` says whether we filed it now or found the
    one an earlier attempt filed."""
    now = utc_now()
    with write_transaction(catalog_path) as con:
        current = con.execute(
            "SELECT status FROM privacy_requests WHERE partition_key = ?", [partition_key]
        ).fetchone()
        first = current is not None and current[0] in ("DECLARED", "SUBMITTING")
        # A retried submit can find its request already finished: record where it stands and
        # audit that move too, so the trail reads the same as for a request polled to the end.
        ours, failure_reason = settled(status, None)
        ended = ours not in PENDING
        if first:
            con.execute(
                "UPDATE privacy_requests SET status = ?, server_status = ?, submitted_at = ?, "
                "api_base_url = ?, is_emulator = ?, client_id = ?, next_poll_at = ?, "
                "poll_attempts = 0, server_request_id = ?, claim = NULL, claim_run_id = NULL, "
                "launches = 0, failure_reason = ?, "
                "completed_at = CASE WHEN ? THEN ? ELSE completed_at END, "
                "completion_source = CASE WHEN ? THEN 'poll' ELSE completion_source END, "
                "updated_at = ? WHERE partition_key = ?",
                [
                    ours,
                    status,
                    now,
                    api_base_url,
                    is_emulator,
                    actor,
                    next_poll_at,
                    server_request_id or request_id,
                    failure_reason,
                    ended,
                    now,
                    ended,
                    now,
                    partition_key,
                ],
            )
        audit(
            con,
            "submitted",
            request_id,
            actor,
            {
                "partition_key": partition_key,
                "outcome": how if first else "already filed (idempotent resubmission)",
                "server_status": status,
                "server_request_id": server_request_id or request_id,
                "latency_ms": round(latency_ms, 1),
                "api_base_url": api_base_url,
            },
        )
        if first and ended:
            audit_status_change(
                con,
                request_id,
                actor,
                {"partition_key": partition_key, "from": current[0], "to": ours, "source": "poll"},
                failure_reason=failure_reason,
            )
