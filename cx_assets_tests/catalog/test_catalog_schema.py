"""Contract: the catalog schema is created idempotently, readers always find its tables, and a
catalog written by a newer version is refused rather than written to."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_assets.catalog import read_connection, write_transaction
from cx_assets.catalog.schema import SCHEMA_VERSION, TABLES, CatalogVersionError, ensure_schema


def _tables(catalog_path: Path) -> set[str]:
    with read_connection(catalog_path) as con:
        rows = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    return {r[0] for r in rows}


def test_schema_creation_is_idempotent(catalog_path: Path) -> None:
    for _ in range(3):
        with write_transaction(catalog_path) as con:
            ensure_schema(con)

    assert _tables(catalog_path) == set(TABLES)
    assert {"schema_version", "exports", "export_files", "audit_log"} <= set(TABLES)
    with read_connection(catalog_path) as con:
        versions = con.execute("SELECT version FROM schema_version").fetchall()
    assert versions == [(SCHEMA_VERSION,)]


def test_reader_on_missing_catalog_finds_empty_tables(catalog_path: Path) -> None:
    assert not catalog_path.exists()

    with read_connection(catalog_path) as con:
        counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in sorted(TABLES)]

    assert catalog_path.exists()
    assert dict(zip(sorted(TABLES), counts, strict=True)) == {
        t: (1 if t == "schema_version" else 0) for t in TABLES
    }


def test_failed_transaction_rolls_back(catalog_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), write_transaction(catalog_path) as con:
        con.execute("INSERT INTO schema_version (version) VALUES (0)")
        raise RuntimeError("boom")

    with read_connection(catalog_path) as con:  # the rolled-back DDL is recreated for readers
        versions = con.execute("SELECT version FROM schema_version").fetchall()
    assert versions == [(SCHEMA_VERSION,)]


def test_newer_catalog_is_refused(catalog_path: Path) -> None:
    with write_transaction(catalog_path) as con:
        con.execute("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION + 1])

    with (
        pytest.raises(CatalogVersionError, match="newer than this code"),
        write_transaction(catalog_path),
    ):
        pass
