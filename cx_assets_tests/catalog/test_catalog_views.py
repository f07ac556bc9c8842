"""Contract: each registered dataset is a view in the catalog: typed and empty before any file
exists, over every Parquet file of the dataset once they land (new days show up without a
refresh), with names, globs and types validated and paths escaped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cx_assets.catalog import (
    DatasetView,
    query,
    read_connection,
    refresh_views,
    register_dataset_view,
    register_export,
    write_transaction,
)
from cx_assets_tests.catalog.catalog_testkit import COLUMNS, GLOB, export_record, write_parquet

DAY1 = "2024-03-01"
DAY2 = "2024-03-02"


def _parquet(lake_root: Path, day: str) -> Path:
    return lake_root / "genesys" / "conversations" / f"date={day}" / "part-0.parquet"


def test_fresh_catalog_has_typed_empty_view(catalog_path: Path) -> None:
    register_dataset_view("conversations", GLOB, COLUMNS)

    with read_connection(catalog_path) as con:
        described = con.execute("DESCRIBE conversations").fetchall()
        rows = con.execute("SELECT * FROM conversations").fetchall()

    assert [(r[0], r[1]) for r in described] == [
        ("interaction_id", "VARCHAR"),
        ("start_time", "TIMESTAMP WITH TIME ZONE"),
        ("talk_ms", "BIGINT"),
    ]
    assert rows == []


def test_view_reads_every_parquet_file(catalog_path: Path, lake_root: Path) -> None:
    register_dataset_view("conversations", GLOB, COLUMNS)
    write_parquet(_parquet(lake_root, DAY1), [("a", f"{DAY1}T10:00:00Z", 5)])
    register_export(catalog_path, export_record(DAY1, "e1"), [], actor="t")
    # A later day written after the view was made, with an extra column: still read.
    write_parquet(
        _parquet(lake_root, DAY2),
        [("b", f"{DAY2}T10:00:00Z", 7), ("c", f"{DAY2}T11:00:00Z", 9)],
        extra_column=True,
    )

    result = query(
        catalog_path,
        "SELECT interaction_id, talk_ms, queue_name FROM conversations ORDER BY interaction_id",
    )

    assert result.rows == [("a", 5, None), ("b", 7, "x"), ("c", 9, "x")]
    start = query(catalog_path, "SELECT start_time FROM conversations WHERE talk_ms = 5").rows
    assert start == [(dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC),)]


def test_registration_switches_empty_view_to_files(catalog_path: Path, lake_root: Path) -> None:
    register_dataset_view("conversations", GLOB, COLUMNS)
    assert query(catalog_path, "SELECT count(*) FROM conversations").rows == [(0,)]

    write_parquet(_parquet(lake_root, DAY1), [("a", f"{DAY1}T10:00:00Z", 5)])
    register_export(catalog_path, export_record(DAY1, "e1"), [], actor="t")

    assert query(catalog_path, "SELECT count(*) FROM conversations").rows == [(1,)]


def test_lake_path_with_quote_is_escaped(tmp_path: Path) -> None:
    lake_root = tmp_path / "it's a lake"
    write_parquet(_parquet(lake_root, DAY1), [("a", f"{DAY1}T10:00:00Z", 5)])
    view = DatasetView("conversations", GLOB, COLUMNS)

    with write_transaction(tmp_path / "c.duckdb") as con:
        assert refresh_views(con, lake_root, [view]) == ["conversations"]
        assert con.execute("SELECT interaction_id FROM conversations").fetchall() == [("a",)]


@pytest.mark.parametrize(
    ("name", "glob", "columns", "message"),
    [
        ("Conversations", GLOB, COLUMNS, "view name 'Conversations' is not allowed"),
        ("x; DROP TABLE exports", GLOB, COLUMNS, "view name"),
        ("conversations", "/etc/*.parquet", COLUMNS, "must be relative to the lake root"),
        ("conversations", "../other/*.parquet", COLUMNS, "must be relative to the lake root"),
        ("conversations", "a/*.parquet', x='", COLUMNS, "must be relative to the lake root"),
        ("conversations", GLOB, (("id", "VARCHAR) AS x, (SELECT 1"),), "is not a DuckDB type"),
        ("conversations", GLOB, (("Bad Name", "VARCHAR"),), "column 'Bad Name' is not allowed"),
        ("conversations", GLOB, (), "at least one column"),
    ],
)
def test_unsafe_declarations_are_rejected(
    name: str, glob: str, columns: tuple[tuple[str, str], ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        register_dataset_view(name, glob, columns)


def test_column_objects_with_descriptions_are_accepted() -> None:
    from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS

    view = register_dataset_view("conversations", GLOB, CONVERSATION_COLUMNS)

    assert view.columns[0] == ("conversation_id", "VARCHAR")
    assert ("agent_ids", "VARCHAR[]") in view.columns
