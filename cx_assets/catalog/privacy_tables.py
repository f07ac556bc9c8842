"""Catalog table for privacy requests: metadata only, never personal data.

The subject appears only as `subject_ref` (a keyed HMAC) and counts of identifiers, the export
only as path, size and checksums.
`schema.ensure_schema` runs `DDL` on every open; `TABLES` lists what it creates.
"""

from __future__ import annotations

from cx_assets.catalog.ddl import added_columns, table_ddl

#: privacy_requests: the current state of each request (one per partition key).
REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("partition_key", "VARCHAR NOT NULL"),
    ("request_id", "VARCHAR NOT NULL UNIQUE"),
    ("entity_type", "VARCHAR"),
    ("subject_ref", "VARCHAR"),
    ("format", "VARCHAR"),
    ("data_types", "JSON"),
    ("range_start", "TIMESTAMPTZ"),
    ("range_end", "TIMESTAMPTZ"),
    ("callback", "VARCHAR"),
    ("status", "VARCHAR NOT NULL"),
    ("failure_reason", "VARCHAR"),
    ("client_id", "VARCHAR"),
    ("api_base_url", "VARCHAR"),
    ("is_emulator", "BOOLEAN"),
    ("declared_at", "TIMESTAMPTZ"),
    ("submitted_at", "TIMESTAMPTZ"),
    ("completed_at", "TIMESTAMPTZ"),
    ("completion_source", "VARCHAR"),
    ("poll_attempts", "BIGINT NOT NULL DEFAULT 0"),
    ("last_polled_at", "TIMESTAMPTZ"),
    ("next_poll_at", "TIMESTAMPTZ"),
    ("download_requested_at", "TIMESTAMPTZ"),
    ("delivered_at", "TIMESTAMPTZ"),
    ("export_path", "VARCHAR"),
    ("bytes", "BIGINT"),
    ("sha256", "VARCHAR"),
    ("record_count", "BIGINT"),
    ("deleted_at", "TIMESTAMPTZ"),
    ("updated_at", "TIMESTAMPTZ NOT NULL"),
)

#: Added for the platform mode (GDPR requests) and the claims that tie a step to its run.
REQUEST_ADDED: tuple[tuple[str, str], ...] = (
    ("api_mode", "VARCHAR"),
    ("request_type", "VARCHAR"),
    ("identifiers", "JSON"),  # how many identifiers of each kind, never their values
    ("server_request_id", "VARCHAR"),  # Genesys' id (platform); = request_id in tutorial mode
    ("server_status", "VARCHAR"),  # the status exactly as the server said it
    ("filing_started_at", "TIMESTAMPTZ"),  # the first POST attempt (to find a lost answer)
    ("results", "JSON"),  # [{name, size, sha256, content_type}] of the downloaded files
    ("claim", "VARCHAR"),  # the open claim: `<key>.<submit|download>.<n>`, tagged on its run
    ("claim_run_id", "VARCHAR"),  # the run that took the claim, once it started
    ("claimed_at", "TIMESTAMPTZ"),
    ("launches", "BIGINT DEFAULT 0"),  # runs requested for the current kind
    ("poll_error", "VARCHAR"),  # the last status poll's error, until a poll reads again
)

DDL: tuple[str, ...] = (
    table_ddl("privacy_requests", REQUEST_COLUMNS, "partition_key"),
    *added_columns("privacy_requests", REQUEST_ADDED),
)
TABLES: tuple[str, ...] = ("privacy_requests",)
