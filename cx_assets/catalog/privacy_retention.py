"""Retention of delivered privacy exports: which are due for deletion, and marking them deleted.

The files themselves are removed by `flows/privacy_retention.py`; the catalog keeps the request's
row (with `deleted_at`) and audits `deleted` with the request id, path and checksum it had.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.privacy_rows import COLUMNS, PrivacyRow, audit, to_row, utc_now
from cx_assets.catalog.queries import query


def expired_exports(catalog_path: Path | str, delivered_before: dt.datetime) -> list[PrivacyRow]:
    """Delivered exports not yet deleted whose delivery is older than `delivered_before`."""
    result = query(
        catalog_path,
        f"SELECT {', '.join(COLUMNS)} FROM privacy_requests WHERE status = 'DELIVERED' "
        "AND deleted_at IS NULL AND delivered_at < ? ORDER BY delivered_at, partition_key",
        [delivered_before],
    )
    return [to_row(values) for values in result.as_dicts()]


#: Requests that ended without an export to keep: their declared copy (the identifiers) goes too.
ENDED_WITHOUT_EXPORT = ("FAILED", "REJECTED", "SUBMIT_FAILED", "DOWNLOAD_FAILED")


def expired_requests(catalog_path: Path | str, ended_before: dt.datetime) -> list[PrivacyRow]:
    """Requests that ended without a delivered export (failed, rejected, given up, or a
    completed GDPR_DELETE / GDPR_UPDATE) longer ago than `ended_before`, not yet purged."""
    marks = ", ".join("?" for _ in ENDED_WITHOUT_EXPORT)
    result = query(
        catalog_path,
        f"SELECT {', '.join(COLUMNS)} FROM privacy_requests WHERE deleted_at IS NULL "
        f"AND updated_at < ? AND (status IN ({marks}) OR (status = 'COMPLETED' AND "
        "coalesce(request_type, 'GDPR_EXPORT') <> 'GDPR_EXPORT')) ORDER BY partition_key",
        [ended_before, *ENDED_WITHOUT_EXPORT],
    )
    return [to_row(values) for values in result.as_dicts()]


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
    now = utc_now()
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
        audit(
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
