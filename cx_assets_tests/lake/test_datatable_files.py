"""Contract: a data table snapshot is one Parquet file per table and day whose columns carry the
vendor's names exactly and the types of the table schema (string VARCHAR, number DOUBLE, date
DATE, boolean BOOLEAN); a value that does not fit stops the write naming column and row and
leaves no file behind; quarantined import rows land in their own Parquet file; outside ids never
steer a path."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx_assets.lake.datatables import (
    QuarantineRow,
    SnapshotValueError,
    quarantine_path,
    snapshot_path,
    write_quarantine,
    write_snapshot,
)
from cx_assets.lake.paths import DataLayout

TABLE_ID = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
COLUMNS = [
    ("customer_id", "string"),
    ("Credit Limit", "number"),
    ("VIP", "boolean"),
    ("since", "date"),
]


def _read(path: Path) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    with duckdb.connect() as con:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(path)]
        ).fetchall()
        rows = con.execute(
            "SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(path)]
        ).fetchall()
    return [(r[0], r[1]) for r in described], rows


def test_snapshot_columns_keep_vendor_names_and_schema_types(tmp_path: Path) -> None:
    path = snapshot_path(DataLayout(tmp_path), TABLE_ID, "2024-03-01")
    rows = [
        {"customer_id": "C-1", "Credit Limit": 1500, "VIP": True, "since": "2020-01-31"},
        {"customer_id": "C-2", "Credit Limit": 99.5, "VIP": None},  # missing 'since' -> null
    ]

    written = write_snapshot(path, rows, COLUMNS)

    schema, data = _read(path)
    assert schema == [
        ("customer_id", "VARCHAR"),
        ("Credit Limit", "DOUBLE"),
        ("VIP", "BOOLEAN"),
        ("since", "DATE"),
    ]
    assert data == [("C-1", 1500.0, True, dt.date(2020, 1, 31)), ("C-2", 99.5, None, None)]
    assert written.rows == 2
    assert written.bytes == path.stat().st_size
    assert written.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert path == (
        tmp_path
        / "lake/genesys/datatables"
        / f"table_id={TABLE_ID}/date=2024-03-01"
        / "snapshot.parquet"
    )


def test_empty_table_gives_typed_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"

    written = write_snapshot(path, [], COLUMNS)

    schema, data = _read(path)
    assert [t for _, t in schema] == ["VARCHAR", "DOUBLE", "BOOLEAN", "DATE"]
    assert data == []
    assert written.rows == 0


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "Credit Limit",
            "gold",
            "column 'Credit Limit' (number), row 2: expected a number, got str",
        ),
        ("Credit Limit", "3", "column 'Credit Limit' (number), row 2: expected a number"),
        (
            "Credit Limit",
            True,
            "column 'Credit Limit' (number), row 2: expected a number, got bool",
        ),
        ("VIP", "yes", "column 'VIP' (boolean), row 2: expected true or false"),
        ("VIP", 1, "column 'VIP' (boolean), row 2: expected true or false, got int"),
        ("customer_id", 7, "column 'customer_id' (string), row 2: expected a string, got int"),
        ("since", "2024-02-30", "column 'since' (date), row 2: expected a date YYYY-MM-DD"),
        ("since", "20240201", "column 'since' (date), row 2: expected a date YYYY-MM-DD"),
        ("since", dt.datetime(2024, 1, 1), "column 'since' (date), row 2: expected a date"),
    ],
)
def test_value_that_does_not_fit_names_column_and_row_and_keeps_old_file(
    tmp_path: Path, column: str, value: object, message: str
) -> None:
    path = tmp_path / "date=2024-03-01" / "snapshot.parquet"
    good = [{"customer_id": "C-1", "Credit Limit": 1, "VIP": False, "since": "2020-01-01"}]
    before = write_snapshot(path, good, COLUMNS)
    bad = [*good, {**good[0], "customer_id": "C-2", column: value}]

    with pytest.raises(SnapshotValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        write_snapshot(path, bad, COLUMNS)

    assert hashlib.sha256(path.read_bytes()).hexdigest() == before.sha256
    assert sorted(p.name for p in path.parent.iterdir()) == ["snapshot.parquet"]


def test_failed_first_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "date=2024-03-01" / "snapshot.parquet"

    with pytest.raises(SnapshotValueError):
        write_snapshot(path, [{"customer_id": 1}], COLUMNS)

    assert list(tmp_path.rglob("*")) == []


def test_key_outside_the_schema_is_refused_not_dropped(tmp_path: Path) -> None:
    rows = [{"customer_id": "C-1"}, {"customer_id": "C-2", "tier": "gold"}]

    with pytest.raises(SnapshotValueError, match=r"row 2 has column\(s\) \['tier'\]"):
        write_snapshot(tmp_path / "s.parquet", rows, COLUMNS)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([("a", "decimal")], "column 'a' has type 'decimal'"),
        (
            [("a", "string"), ("a", "number")],
            r"duplicate column names in the table schema: \['a'\]",
        ),
        ([("", "string")], "column name '' must be a non-empty string"),
    ],
)
def test_bad_schema_is_refused(
    tmp_path: Path, columns: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write_snapshot(tmp_path / "s.parquet", [], columns)
    assert not (tmp_path / "s.parquet").exists()


def test_quarantine_file_holds_every_rejected_row(tmp_path: Path) -> None:
    path = quarantine_path(DataLayout(tmp_path), "customer_tiers_update", "run-123")
    rejected = [
        QuarantineRow(
            3, "credit_limit", "expects number, got string 'gold'", '{"credit_limit":"gold"}'
        ),
        QuarantineRow(7, None, "invalid JSON: Expecting value", '"{oops"'),
    ]

    written = write_quarantine(path, rejected)

    schema, data = _read(path)
    assert schema == [
        ("row_number", "BIGINT"),
        ("field", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("row_json", "VARCHAR"),
    ]
    assert data == [
        (3, "credit_limit", "expects number, got string 'gold'", '{"credit_limit":"gold"}'),
        (7, None, "invalid JSON: Expecting value", '"{oops"'),
    ]
    assert written.rows == 2
    assert (
        path
        == tmp_path / "quarantine/genesys/datatable_imports/customer_tiers_update/run-123.parquet"
    )


@pytest.mark.parametrize("table_id", ["../../etc", "a/b", "", ".hidden", "x'; DROP TABLE t; --"])
def test_unsafe_table_id_never_becomes_a_path(tmp_path: Path, table_id: str) -> None:
    with pytest.raises(ValueError, match="table id"):
        snapshot_path(DataLayout(tmp_path), table_id, "2024-03-01")


@pytest.mark.parametrize("day", ["2024-02-30", "2024-3-1", "../2024-03-01", "today"])
def test_snapshot_day_must_be_a_calendar_date(tmp_path: Path, day: str) -> None:
    with pytest.raises(ValueError, match=r"2024|today"):
        snapshot_path(DataLayout(tmp_path), TABLE_ID, day)


@pytest.mark.parametrize(
    ("import_name", "run_id", "what"),
    [("../x", "r1", "import name"), ("ok", "../../r", "run id"), ("ok", "a/b", "run id")],
)
def test_unsafe_quarantine_names_are_refused(
    tmp_path: Path, import_name: str, run_id: str, what: str
) -> None:
    with pytest.raises(ValueError, match=what):
        quarantine_path(DataLayout(tmp_path), import_name, run_id)
