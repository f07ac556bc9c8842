"""Privacy requests in the catalog: one row of state per request, and its audit trail.

Every change is one short transaction that updates `privacy_requests` and appends to the
hash-chained audit log (flow `privacy`, entity = the requestId), so the trail proves what was
asked, when, by which client, what the server said and what was delivered. Only a summary of the
request reaches the catalog: the subject as a hash, the export as path, size and checksum.

State moves DECLARED → QUEUED → PROCESSING → COMPLETED → DOWNLOADING → DELIVERED, or ends in
REJECTED (failed validation) or FAILED (the server said so). `claim_download` is the one
compare-and-set that lets either the polling path or the webhook path launch a download, never both.

This module is the flow's one name for all of it (`from cx_assets.catalog import privacy as cat`);
the code is in `privacy_rows.py` (the row and its reads), `privacy_requests.py` (validated,
rejected, submitted), `privacy_tracking.py` (status, download, callbacks) and
`privacy_retention.py` (deleting delivered exports).
"""

from __future__ import annotations

from cx_assets.catalog.privacy_requests import declare, record_submitted, reject
from cx_assets.catalog.privacy_retention import expired_exports, record_deleted
from cx_assets.catalog.privacy_rows import (
    FLOW,
    PENDING,
    PrivacyRow,
    request_row,
    row_for_request_id,
    rows_with_status,
    trail,
)
from cx_assets.catalog.privacy_tracking import (
    claim_download,
    record_callback,
    record_delivered,
    record_download_failed,
    record_poll,
)

__all__ = [
    "FLOW",
    "PENDING",
    "PrivacyRow",
    "claim_download",
    "declare",
    "expired_exports",
    "record_callback",
    "record_deleted",
    "record_delivered",
    "record_download_failed",
    "record_poll",
    "record_submitted",
    "reject",
    "request_row",
    "row_for_request_id",
    "rows_with_status",
    "trail",
]
