"""Contract: a dataset view may live in a schema (`cxone.interactions`, the schema created on
refresh) and, when declared with `quote_columns=True`, may carry vendor column names that are not
plain identifiers (spaces, capitals, quotes), quoted safely; every other part of a declaration is
validated as strictly as before, and `missing_views` finds schema-qualified views by schema."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cx_assets.catalog import (
    DatasetView,
    missing_views,
    query,
    quote_identifier,
    read_connection,
    refresh_views,
    register_dataset_view,
    write_transaction,
)

GLOB = "cxone/interactions/date=*/*.parquet"
VENDOR_COLUMNS = (("contactId", "VARCHAR"), ("Agent Name", "VARCHAR"), ('say "hi"', "BIGINT"))


def _parquet(lake_root: Path, day: str) -> None:
    path = lake_root / "cxone" / "interactions" / f"date={day}" / "part-0.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(
            'COPY (SELECT \'c-1\' AS "contactId", \'Ann\' AS "Agent Name", 5 AS "say ""hi""") '
            f"TO '{path.as_posix()}' (FORMAT parquet)"
        )


def test_qualified_view_is_typed_and_empty_before_files(catalog_path: Path) -> None:
    register_dataset_view("cxone.interactions", GLOB, VENDOR_COLUMNS, quote_columns=True)

    with read_connection(catalog_path) as con:
        described = con.execute("DESCRIBE cxone.interactions").fetchall()
        rows = con.execute("SELECT * FROM cxone.interactions").fetchall()

    assert [(r[0], r[1]) for r in described] == [
        ("contactId", "VARCHAR"),
        ("Agent Name", "VARCHAR"),
        ('say "hi"', "BIGINT"),
    ]
    assert rows == []


def test_qualified_view_reads_the_files(catalog_path: Path, lake_root: Path) -> None:
    view = register_dataset_view("cxone.interactions", GLOB, VENDOR_COLUMNS, quote_columns=True)
    _parquet(lake_root, "2024-03-01")
    with write_transaction(catalog_path) as con:
        assert refresh_views(con, lake_root, [view]) == ["cxone.interactions"]

    result = query(catalog_path, 'SELECT "Agent Name", "say ""hi""" FROM cxone.interactions')

    assert result.rows == [("Ann", 5)]


def test_missing_views_compares_schema_and_name(catalog_path: Path) -> None:
    qualified = DatasetView("cxone.interactions", GLOB, (("id", "VARCHAR"),))
    plain = DatasetView("interactions", GLOB, (("id", "VARCHAR"),))
    with write_transaction(catalog_path) as con:
        assert missing_views(con, [qualified, plain]) == ["cxone.interactions", "interactions"]
        refresh_views(con, Path("/nonexistent-lake"), [qualified])
        assert missing_views(con, [qualified, plain]) == ["interactions"]


@pytest.mark.parametrize(
    ("name", "columns", "quote", "message"),
    [
        ("cxone.interactions.x", VENDOR_COLUMNS, True, "view name"),
        ("CXone.interactions", VENDOR_COLUMNS, True, "view name"),
        ("cxone.", VENDOR_COLUMNS, True, "view name"),
        ('cxone"; DROP TABLE exports; --.x', VENDOR_COLUMNS, True, "view name"),
        ("cxone.interactions", VENDOR_COLUMNS, False, "or declare the view with quote_columns"),
        ("cxone.interactions", (("a\nb", "VARCHAR"),), True, "no control characters"),
        ("cxone.interactions", (("x" * 256, "VARCHAR"),), True, "1 to 255 characters"),
        ("cxone.interactions", (("A", "VARCHAR"), ("A", "BIGINT")), True, "occur more than once"),
        ("cxone.interactions", (("A", "VARCHAR) AS x, (SELECT 1"),), True, "not a DuckDB type"),
    ],
)
def test_everything_else_stays_strict(
    name: str, columns: tuple[tuple[str, str], ...], quote: bool, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        register_dataset_view(name, GLOB, columns, quote_columns=quote)


def test_quoted_column_cannot_break_out_of_the_ddl(catalog_path: Path) -> None:
    hostile = 'x" VARCHAR, y AS (SELECT 1); DROP TABLE exports; --'
    view = register_dataset_view("cxone.hostile", GLOB, ((hostile, "VARCHAR"),), quote_columns=True)

    with read_connection(catalog_path) as con:
        columns = [r[0] for r in con.execute("DESCRIBE cxone.hostile").fetchall()]
        tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'exports'")
        assert tables.fetchone() == (1,)

    assert columns == [hostile]
    assert view.qualified_sql == '"cxone"."hostile"'
    assert quote_identifier('a"b') == '"a""b"'


def test_plain_views_keep_working(catalog_path: Path) -> None:
    register_dataset_view("conversations", GLOB, (("start_time", "TIMESTAMPTZ"),))

    rows = query(catalog_path, "SELECT count(*) FROM conversations").rows

    assert rows == [(0,)]
