"""Catalog table for privacy export requests (issue 5): metadata only, never personal data.

The subject appears only as `subject_ref` (a hash), the export only as path, size and checksum.
`schema.ensure_schema` runs `DDL` on every open; `TABLES` lists what it creates.
"""

from __future__ import annotations

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

DDL: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS privacy_requests (\n    "
    + ",\n    ".join(f"{col} {typ}" for col, typ in REQUEST_COLUMNS)
    + ",\n    PRIMARY KEY (partition_key)\n)",
)
TABLES: tuple[str, ...] = ("privacy_requests",)
