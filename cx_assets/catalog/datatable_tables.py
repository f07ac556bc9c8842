"""Catalog tables for Genesys data table snapshots, imports and their quarantine (issue 3).

`schema.ensure_schema` runs `DDL` on every open (each statement idempotent) and `TABLES` lists
the tables it creates. Column lists are data so `catalog/datatables.py`, `datatable_imports.py`
and `datatable_views.py` build their inserts and reads from the same constants.
"""

from __future__ import annotations

from cx_assets.catalog.ddl import added_columns, table_ddl

#: Schema that holds one view per data table plus the `snapshot_index` view.
VIEW_SCHEMA = "datatables"
INDEX_VIEW = "snapshot_index"

#: datatable_snapshots: one row per (table, day); a re-run of the day replaces it.
SNAPSHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_id", "VARCHAR NOT NULL"),
    ("table_name", "VARCHAR NOT NULL"),
    ("day", "DATE NOT NULL"),
    ("etag", "VARCHAR"),
    ("version", "BIGINT"),
    ("row_count", "BIGINT NOT NULL"),
    ("pages", "BIGINT NOT NULL"),
    ("restarts", "BIGINT NOT NULL"),
    ("columns", "JSON NOT NULL"),
    ("path", "VARCHAR NOT NULL"),
    ("bytes", "BIGINT NOT NULL"),
    ("sha256", "VARCHAR NOT NULL"),
    ("requests", "BIGINT NOT NULL"),
    ("retries", "BIGINT NOT NULL"),
    ("throttled", "BIGINT NOT NULL"),
    ("is_emulator", "BOOLEAN NOT NULL"),
    ("api_base_url", "VARCHAR"),
    ("run_id", "VARCHAR"),
    ("started_at", "TIMESTAMPTZ"),
    ("finished_at", "TIMESTAMPTZ"),
    ("registered_at", "TIMESTAMPTZ NOT NULL"),
    *(
        SNAPSHOT_ADDED := (
            # platform mode: the export job, the rows it said it wrote, rows its CSV could not
            # type (quarantined). Added after the first release: see `_added`.
            ("api_mode", "VARCHAR"),
            ("export_job_id", "VARCHAR"),
            ("records_processed", "BIGINT"),
            ("quarantined", "BIGINT"),
        )
    ),
)

#: datatable_imports: one row per run of a declared import.
IMPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("import_name", "VARCHAR NOT NULL"),
    ("run_id", "VARCHAR NOT NULL"),
    ("table_id", "VARCHAR NOT NULL"),
    ("source", "VARCHAR"),
    ("started_at", "TIMESTAMPTZ"),
    ("finished_at", "TIMESTAMPTZ"),
    ("rows_total", "BIGINT NOT NULL"),
    ("valid", "BIGINT NOT NULL"),
    ("inserted", "BIGINT NOT NULL"),
    ("updated", "BIGINT NOT NULL"),
    ("unchanged", "BIGINT NOT NULL"),
    ("quarantined", "BIGINT NOT NULL"),
    ("batches", "BIGINT NOT NULL"),
    ("bisections", "BIGINT NOT NULL"),
    ("chunk_sizes", "JSON NOT NULL"),
    ("verified", "BOOLEAN NOT NULL"),
    ("missing", "BIGINT NOT NULL"),
    ("different", "BIGINT NOT NULL"),
    ("requests", "BIGINT NOT NULL"),
    ("throttled", "BIGINT NOT NULL"),
    ("status", "VARCHAR NOT NULL"),
    ("registered_at", "TIMESTAMPTZ NOT NULL"),
    *(
        IMPORT_ADDED := (
            # platform mode: the CSV import job, its mode and the server's own counts
            ("api_mode", "VARCHAR"),
            ("import_job_id", "VARCHAR"),
            ("import_mode", "VARCHAR"),
            ("deleted", "BIGINT"),
            ("server_failed", "BIGINT"),
        )
    ),
)

#: datatable_quarantine: the rows of an import run's quarantine Parquet file.
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("import_name", "VARCHAR NOT NULL"),
    ("run_id", "VARCHAR NOT NULL"),
    ("row_number", "BIGINT NOT NULL"),
    ("field", "VARCHAR"),
    ("reason", "VARCHAR NOT NULL"),
    ("row_json", "VARCHAR NOT NULL"),
    ("source", "VARCHAR"),
    ("quarantined_at", "TIMESTAMPTZ NOT NULL"),
)

#: datatable_views: which per-table view belongs to which table (names are first come, first
#: served, so an existing view never changes name when another table with the same name appears).
VIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_id", "VARCHAR NOT NULL"),
    ("view_name", "VARCHAR NOT NULL UNIQUE"),
    ("table_name", "VARCHAR NOT NULL"),
    ("created_at", "TIMESTAMPTZ NOT NULL"),
)


DDL: tuple[str, ...] = (
    table_ddl("datatable_snapshots", SNAPSHOT_COLUMNS, "table_id, day"),
    *added_columns("datatable_snapshots", SNAPSHOT_ADDED),
    table_ddl("datatable_imports", IMPORT_COLUMNS, "import_name, run_id"),
    *added_columns("datatable_imports", IMPORT_ADDED),
    table_ddl("datatable_quarantine", QUARANTINE_COLUMNS, None),
    table_ddl("datatable_views", VIEW_COLUMNS, "table_id"),
    f"CREATE SCHEMA IF NOT EXISTS {VIEW_SCHEMA}",
    f"CREATE VIEW IF NOT EXISTS {VIEW_SCHEMA}.{INDEX_VIEW} AS "
    "SELECT s.table_id, s.table_name, s.day, s.row_count, s.path, "
    f"'{VIEW_SCHEMA}.' || v.view_name AS view_name "
    "FROM datatable_snapshots s LEFT JOIN datatable_views v USING (table_id)",
)
TABLES: tuple[str, ...] = (
    "datatable_snapshots",
    "datatable_imports",
    "datatable_quarantine",
    "datatable_views",
)
