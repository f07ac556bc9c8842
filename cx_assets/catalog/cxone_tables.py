"""Catalog tables for NICE CXone analytics exports, per-day metrics and webhook syncs (issue 4).

`schema.ensure_schema` runs `DDL` on every open (each statement idempotent) and `TABLES` lists
the tables it creates. Column lists are data so `catalog/cxone.py` builds its inserts from the
same constants.
"""

from __future__ import annotations

from cx_assets.catalog.ddl import added_columns, table_ddl

#: cxone_exports: one row per export job (a range of up to 90 days).
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("export_id", "VARCHAR NOT NULL"),
    ("range_start", "DATE NOT NULL"),
    ("range_end", "DATE NOT NULL"),  # last day included
    ("days", "INTEGER NOT NULL"),
    ("records", "BIGINT NOT NULL"),
    ("total_reported", "BIGINT"),
    ("pages", "INTEGER NOT NULL"),
    ("status", "VARCHAR NOT NULL"),
    ("latency_s", "DOUBLE"),
    ("requests", "BIGINT NOT NULL"),
    ("throttled", "BIGINT NOT NULL"),
    ("retries", "BIGINT NOT NULL"),
    ("run_id", "VARCHAR"),
    ("created_at", "TIMESTAMPTZ"),
    ("finished_at", "TIMESTAMPTZ"),
)
#: Added with platform mode: the API mode, what kind of read it was (`export` job in tutorial
#: mode; `full` or `late_updates` pull of one day in platform mode), the `updatedSince` of a
#: late-updates pull, and what de-duplication did (`replaced` stored rows, `duplicates` served
#: twice).
EXPORT_ADDED: tuple[tuple[str, str], ...] = (
    ("api_mode", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("updated_since", "TIMESTAMPTZ"),
    ("replaced", "BIGINT"),
    ("duplicates", "BIGINT"),
)

#: cxone_day_metrics: the current state of each day; a re-run of the day replaces its row.
DAY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("day", "DATE NOT NULL"),
    ("export_id", "VARCHAR NOT NULL"),
    ("total", "BIGINT NOT NULL"),
    ("valid", "BIGINT NOT NULL"),
    ("integrity_rate", "DOUBLE NOT NULL"),
    ("missing_by_field", "JSON NOT NULL"),
    ("path", "VARCHAR NOT NULL"),
    ("bytes", "BIGINT NOT NULL"),
    ("sha256", "VARCHAR NOT NULL"),
    ("registered_at", "TIMESTAMPTZ NOT NULL"),
)

#: cxone_syncs: chunks delivered to the data-lake webhook; a re-sync of a day replaces its rows.
SYNC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", "VARCHAR NOT NULL"),
    ("day", "DATE NOT NULL"),
    ("chunk", "INTEGER NOT NULL"),
    ("records", "BIGINT NOT NULL"),
    ("idempotency_key", "VARCHAR NOT NULL"),
    ("status", "VARCHAR NOT NULL"),
    ("sent_at", "TIMESTAMPTZ NOT NULL"),
)


DDL: tuple[str, ...] = (
    table_ddl("cxone_exports", EXPORT_COLUMNS, "export_id"),
    *added_columns("cxone_exports", EXPORT_ADDED),
    table_ddl("cxone_day_metrics", DAY_COLUMNS, "day"),
    table_ddl("cxone_syncs", SYNC_COLUMNS, "dataset, day, chunk"),
)
TABLES: tuple[str, ...] = ("cxone_exports", "cxone_day_metrics", "cxone_syncs")
