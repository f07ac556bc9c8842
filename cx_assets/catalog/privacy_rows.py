"""A privacy request's row as the catalog holds it, the reads of it, and what its writes share.

`privacy_requests` has one row of state per request; its audit trail is the request's entries in
the hash-chained log (flow `privacy`, entity = the requestId). The writes are in
`privacy_requests.py` (validation and submission), `privacy_tracking.py` (status, download,
callbacks) and `privacy_retention.py`; `privacy.py` gathers them under one name.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.privacy_tables import REQUEST_ADDED, REQUEST_COLUMNS
from cx_assets.catalog.queries import query

FLOW = "privacy"
#: Filed, not yet finished: the tutorial's statuses and the GDPR API's (PY `GDPRRequest.status`).
PENDING = ("QUEUED", "PROCESSING", "INITIATED", "SEARCHING", "UPDATING", "DELETING", "FINALIZING")
COLUMNS = tuple(name for name, _ in (*REQUEST_COLUMNS, *REQUEST_ADDED))


@dataclass(frozen=True)
class PrivacyRow:
    """A request's current state as the catalog holds it (see privacy_tables.REQUEST_COLUMNS)."""

    partition_key: str
    request_id: str
    status: str
    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def utc_now() -> dt.datetime:
    """The time every privacy write stamps (UTC)."""
    return dt.datetime.now(dt.UTC)


def to_row(values: Mapping[str, Any]) -> PrivacyRow:
    """A `privacy_requests` row read as a dict, as a `PrivacyRow`."""
    return PrivacyRow(values["partition_key"], values["request_id"], values["status"], values)


def request_row(catalog_path: Path | str, partition_key: str) -> PrivacyRow | None:
    rows = query(
        catalog_path,
        f"SELECT {', '.join(COLUMNS)} FROM privacy_requests WHERE partition_key = ?",
        [partition_key],
    ).as_dicts()
    return to_row(rows[0]) if rows else None


def row_for_request_id(catalog_path: Path | str, request_id: str) -> PrivacyRow | None:
    rows = query(
        catalog_path,
        f"SELECT {', '.join(COLUMNS)} FROM privacy_requests WHERE request_id = ?",
        [request_id],
    ).as_dicts()
    return to_row(rows[0]) if rows else None


def rows_with_status(catalog_path: Path | str, statuses: Sequence[str]) -> list[PrivacyRow]:
    marks = ", ".join("?" for _ in statuses)
    result = query(
        catalog_path,
        f"SELECT {', '.join(COLUMNS)} FROM privacy_requests WHERE status IN ({marks}) "
        "ORDER BY partition_key",
        list(statuses),
    )
    return [to_row(values) for values in result.as_dicts()]


def trail(catalog_path: Path | str, request_id: str) -> list[dict[str, Any]]:
    """The request's audit entries in order: seq, ts, action, actor, details."""
    result = query(
        catalog_path,
        "SELECT seq, ts, action, actor, details FROM audit_log "
        "WHERE flow = ? AND entity = ? ORDER BY seq",
        [FLOW, request_id],
    )
    return [{**row, "details": json.loads(row["details"])} for row in result.as_dicts()]


def audit(con: Any, action: str, request_id: str, actor: str, details: Mapping[str, Any]) -> None:
    """Append one entry to the request's trail (flow `privacy`, entity = the requestId)."""
    append_audit(con, flow=FLOW, action=action, entity=request_id, actor=actor, details=details)


def settled(server_status: str, failure_reason: str | None) -> tuple[str, str | None]:
    """Our status for what the server said: the GDPR API's ERROR is FAILED (it gives no reason)."""
    if server_status == "ERROR":
        return "FAILED", failure_reason or "Genesys Cloud reported status ERROR (no reason given)"
    return server_status, failure_reason


def audit_status_change(
    con: Any,
    request_id: str,
    actor: str,
    details: Mapping[str, Any],
    *,
    latency_ms: float | None = None,
    failure_reason: str | None = None,
) -> None:
    """Audit `status_changed` (details hold partition_key, from, to, source)."""
    entry: dict[str, Any] = {**details, "outcome": str(details["to"]).lower()}
    if latency_ms is not None:
        entry["latency_ms"] = round(latency_ms, 1)
    if failure_reason:
        entry["failure_reason"] = failure_reason
    audit(con, "status_changed", request_id, actor, entry)


def server_ids(catalog_path: Path | str, *, except_key: str) -> frozenset[str]:
    """The server request ids other requests hold (one filed request belongs to one of ours)."""
    result = query(
        catalog_path,
        "SELECT server_request_id FROM privacy_requests WHERE server_request_id IS NOT NULL "
        "AND partition_key <> ?",
        [except_key],
    )
    return frozenset(str(r["server_request_id"]) for r in result.as_dicts())
