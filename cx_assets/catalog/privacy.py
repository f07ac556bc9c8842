"""Privacy requests in the catalog: one row of state per request, and its audit trail.

Every change is one short transaction that updates `privacy_requests` and appends to the
hash-chained audit log (flow `privacy`, entity = the requestId), so the trail proves what was
asked, when, by which client, what the server said and what was delivered. Only a summary of the
request reaches the catalog: the subject as a keyed HMAC and counts of identifiers, the export as
path, size and checksums.

State moves DECLARED → (SUBMITTING) → the server's pending statuses → COMPLETED → DOWNLOADING →
DELIVERED, or ends in REJECTED (failed validation), FAILED (the server said so), or
SUBMIT_FAILED / DOWNLOAD_FAILED (runs kept failing: a person looks). Each step's run holds a
claim (`privacy_claims.py`) opened together with the state change it works from, so neither the
polling path nor the webhook path, nor a crash, ever launches a step twice or strands it.

This module is the flow's one name for all of it (`from cx_assets.catalog import privacy as cat`);
the code is in `privacy_rows.py` (the row and its reads), `privacy_requests.py` (validated,
rejected, submitted), `privacy_tracking.py` (status, delivery, callbacks), `privacy_claims.py`
and `privacy_retention.py` (deleting delivered exports).
"""

from __future__ import annotations

from cx_assets.catalog.privacy_claims import (
    GAVE_UP_STATES,
    StaleClaim,
    claim_age,
    claim_kind,
    open_claim,
    open_claims,
    release_claim,
    take_claim,
    waiting_for,
)
from cx_assets.catalog.privacy_requests import (
    declare,
    record_filing_started,
    record_submitted,
    reject,
)
from cx_assets.catalog.privacy_retention import expired_exports, expired_requests, record_deleted
from cx_assets.catalog.privacy_rows import (
    FLOW,
    PENDING,
    PrivacyRow,
    request_row,
    row_for_request_id,
    rows_with_status,
    server_ids,
    trail,
)
from cx_assets.catalog.privacy_tracking import (
    record_callback,
    record_delivered,
    record_download_failed,
    record_poll,
    record_poll_failure,
)

__all__ = [
    "FLOW",
    "GAVE_UP_STATES",
    "PENDING",
    "PrivacyRow",
    "StaleClaim",
    "claim_age",
    "claim_kind",
    "declare",
    "expired_exports",
    "expired_requests",
    "open_claim",
    "open_claims",
    "record_callback",
    "record_deleted",
    "record_delivered",
    "record_download_failed",
    "record_filing_started",
    "record_poll",
    "record_poll_failure",
    "record_submitted",
    "reject",
    "release_claim",
    "request_row",
    "row_for_request_id",
    "rows_with_status",
    "server_ids",
    "take_claim",
    "trail",
    "waiting_for",
]
