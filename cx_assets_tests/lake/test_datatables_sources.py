"""Contract: an import's source file is read by its suffix with nothing guessed and nothing lost:
CSV cells stay strings (empty -> ""), JSON Lines keep JSON types, Parquet reports vendor-style
column types; a ragged CSV record or a JSONL line that is not a JSON object becomes an unreadable
row with its 1-based row number; an unknown suffix is refused naming the allowed ones."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import polars as pl
import pytest

from cx_assets.lake.datatables_sources import read_source_rows


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_cells_are_strings_in_header_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "tiers.csv",
        '\ufeffcustomer_id,Credit Limit,vip\nC-1,1500,true\nC-2,,false\n\n"C-3","1,5",\n',
    )

    source = read_source_rows(path)

    assert source.columns == ["customer_id", "Credit Limit", "vip"]
    assert source.rows == [
        {"customer_id": "C-1", "Credit Limit": "1500", "vip": "true"},
        {"customer_id": "C-2", "Credit Limit": "", "vip": "false"},
        {"customer_id": "C-3", "Credit Limit": "1,5", "vip": ""},
    ]
    assert source.row_numbers == [1, 2, 3]
    assert source.column_types is None
    assert source.unreadable == []


def test_ragged_csv_record_is_unreadable_with_row_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "a,b\n1,2\n3\n4,5,6\n7,8\n")

    source = read_source_rows(path)

    assert source.rows == [{"a": "1", "b": "2"}, {"a": "7", "b": "8"}]
    assert source.row_numbers == [1, 4]
    assert [(u.row_number, u.field, u.row_json) for u in source.unreadable] == [
        (2, None, '["3"]'),
        (3, None, '["4", "5", "6"]'),
    ]
    assert source.unreadable[0].reason == "ragged CSV row: 1 field(s), the header has 2 (line 3)"


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "needs a header line"), ("a,b,a\n1,2,3\n", r"header names \['a'\] occur more than once")],
)
def test_csv_header_problems_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_source_rows(_write(tmp_path / "t.csv", text))


def test_jsonl_keeps_types_and_quarantines_unreadable_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "rows.ndjson",
        '{"id": "a", "n": 3, "ok": true}\n'
        "{not json\n"
        "\n"
        "[1, 2]\n"
        '{"id": "b", "n": 2.5, "extra": null}\n',
    )

    source = read_source_rows(path)

    assert source.rows == [{"id": "a", "n": 3, "ok": True}, {"id": "b", "n": 2.5, "extra": None}]
    assert source.row_numbers == [1, 5]
    assert source.columns == ["id", "n", "ok", "extra"]
    assert [(u.row_number, u.row_json) for u in source.unreadable] == [
        (2, '"{not json"'),
        (4, '"[1, 2]"'),
    ]
    assert source.unreadable[0].reason.startswith("invalid JSON: ")
    assert source.unreadable[1].reason == "not a JSON object: got list"


def test_parquet_reports_vendor_types_and_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pl.DataFrame(
        {
            "id": ["a", "b"],
            "count": [1, None],
            "ratio": [0.5, 1.5],
            "price": [decimal.Decimal("1.25"), decimal.Decimal("2.50")],
            "active": [True, False],
            "since": [dt.date(2024, 1, 2), None],
        },
        schema_overrides={"price": pl.Decimal(10, 2)},
    ).write_parquet(path)

    source = read_source_rows(path)

    assert source.column_types == {
        "id": "string",
        "count": "number",
        "ratio": "number",
        "price": "number",
        "active": "boolean",
        "since": "date",
    }
    assert source.rows[0] == {
        "id": "a",
        "count": 1,
        "ratio": 0.5,
        "price": 1.25,
        "active": True,
        "since": dt.date(2024, 1, 2),
    }
    assert source.rows[1]["count"] is None
    assert source.row_numbers == [1, 2]


def test_parquet_column_no_table_can_hold_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pl.DataFrame({"at": [dt.datetime(2024, 1, 1, 12)]}).write_parquet(path)

    with pytest.raises(ValueError, match="column 'at' is Datetime"):
        read_source_rows(path)


@pytest.mark.parametrize("name", ["rows.xlsx", "rows.json", "rows"])
def test_unknown_suffix_is_refused_naming_the_allowed_ones(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, "x")

    with pytest.raises(ValueError, match=r"is not supported; use one of \.csv, \.jsonl, \.ndjson"):
        read_source_rows(path)


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert read_source_rows(_write(tmp_path / "T.CSV", "a\n1\n")).rows == [{"a": "1"}]
