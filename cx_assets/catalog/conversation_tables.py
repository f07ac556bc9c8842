"""Catalog table for each conversation day's completeness: final, or still provisional.

Genesys analytics data is complete up to its `dataAvailabilityDate` and reprocessed for 48 h
after; a day that ends after the watermark a job saw may still change. `register_export` writes
the day's row in the same transaction as its export, so a registered day always says which it is.
"""

from __future__ import annotations

#: conversation_days: the current state of each landed day; a re-run of the day replaces it.
DAY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("day", "DATE NOT NULL"),
    ("api_mode", "VARCHAR NOT NULL"),
    ("export_id", "VARCHAR NOT NULL"),
    ("data_availability_date", "TIMESTAMPTZ"),
    ("final", "BOOLEAN"),
    ("conversations", "BIGINT NOT NULL"),
    ("registered_at", "TIMESTAMPTZ NOT NULL"),
)

DDL = (
    "CREATE TABLE IF NOT EXISTS conversation_days (\n    "
    + ",\n    ".join(f"{name} {kind}" for name, kind in DAY_COLUMNS)
    + ",\n    PRIMARY KEY (day)\n)",
)
TABLES = ("conversation_days",)
