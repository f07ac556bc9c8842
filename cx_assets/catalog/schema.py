"""The catalog's tables, created idempotently, with a version number for future migrations.

Column lists are data here so inserts and reads in `exports.py` are built from the same
constants and cannot drift from the DDL.
"""

from __future__ import annotations

import duckdb

from cx_assets.catalog import conversation_tables, cxone_tables, datatable_tables, privacy_tables
from cx_assets.catalog.ddl import table_ddl

SCHEMA_VERSION = 1

#: exports: the current state of each (source, dataset, partition_key); a re-run replaces it.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("export_id", "VARCHAR NOT NULL"),
    ("source", "VARCHAR NOT NULL"),
    ("dataset", "VARCHAR NOT NULL"),
    ("partition_key", "VARCHAR NOT NULL"),
    ("status", "VARCHAR NOT NULL"),
    ("format", "VARCHAR"),
    ("api_base_url", "VARCHAR"),
    ("is_emulator", "BOOLEAN NOT NULL"),
    ("requested_at", "TIMESTAMPTZ"),
    ("completed_at", "TIMESTAMPTZ"),
    ("started_at", "TIMESTAMPTZ"),
    ("finished_at", "TIMESTAMPTZ"),
    ("file_count", "BIGINT NOT NULL"),
    ("bytes", "BIGINT NOT NULL"),
    ("row_count", "BIGINT NOT NULL"),
    ("quarantined_count", "BIGINT NOT NULL"),
    ("requests", "BIGINT NOT NULL"),
    ("retries", "BIGINT NOT NULL"),
    ("throttled", "BIGINT NOT NULL"),
    ("run_id", "VARCHAR"),
    ("registered_at", "TIMESTAMPTZ NOT NULL"),
    ("request_stats", "JSON"),
)

#: export_files: one row per file of the current export of a partition. `uri` has no query.
FILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("export_id", "VARCHAR NOT NULL"),
    ("source", "VARCHAR NOT NULL"),
    ("dataset", "VARCHAR NOT NULL"),
    ("partition_key", "VARCHAR NOT NULL"),
    ("name", "VARCHAR NOT NULL"),
    ("uri", "VARCHAR"),
    ("size", "BIGINT NOT NULL"),
    ("sha256", "VARCHAR NOT NULL"),
    ("record_count", "BIGINT"),
    ("raw_path", "VARCHAR"),
    ("verified_at", "TIMESTAMPTZ NOT NULL"),
)

#: audit_log: append-only and hash-chained (see audit.py).
AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "BIGINT NOT NULL"),
    ("ts", "TIMESTAMPTZ NOT NULL"),
    ("flow", "VARCHAR NOT NULL"),
    ("action", "VARCHAR NOT NULL"),
    ("entity", "VARCHAR NOT NULL"),
    ("actor", "VARCHAR NOT NULL"),
    ("details", "JSON NOT NULL"),
    ("prev_hash", "VARCHAR NOT NULL"),
    ("entry_hash", "VARCHAR NOT NULL"),
)


_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    table_ddl("exports", EXPORT_COLUMNS, "source, dataset, partition_key"),
    table_ddl("export_files", FILE_COLUMNS, "source, dataset, partition_key, name"),
    table_ddl("audit_log", AUDIT_COLUMNS, "seq"),
    *conversation_tables.DDL,
    *datatable_tables.DDL,
    *cxone_tables.DDL,
    *privacy_tables.DDL,
)


#: Every table the catalog holds; readers set the catalog up when one is missing.
TABLES = (
    "schema_version",
    "exports",
    "export_files",
    "audit_log",
    *conversation_tables.TABLES,
    *datatable_tables.TABLES,
    *cxone_tables.TABLES,
    *privacy_tables.TABLES,
)


class CatalogVersionError(RuntimeError):
    """The catalog was written by a newer cx-assets than this one."""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> int:
    """Create any missing table and record the schema version; safe to call on every open.

    Returns the catalog's schema version. Refuses a catalog from a newer version rather than
    writing rows it may not understand.
    """
    for statement in _DDL:
        con.execute(statement)
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    current = row[0] if row else None
    if current is None:
        con.execute("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION])
        return SCHEMA_VERSION
    if current > SCHEMA_VERSION:
        raise CatalogVersionError(
            f"catalog schema version {current} is newer than this code's {SCHEMA_VERSION}: "
            "upgrade cx-assets before writing to it"
        )
    return int(current)
