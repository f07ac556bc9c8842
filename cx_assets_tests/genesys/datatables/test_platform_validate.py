"""Contract: rows are checked against a platform table's schema before an import, so the server
refuses none: the source's columns map by name, then by title, in any case (unknown columns, a
missing key column, a column named twice and the field limit are refused up front), and each
row rule refuses its failing example with a reason naming the field and the limit, while the
other rows go on typed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cx_assets.genesys.datatables.platform_schema import TableColumns, parse_schema
from cx_assets.genesys.datatables.platform_validate import (
    ImportColumnsError,
    check_columns,
    validate_import_rows,
)

SCHEMA = {
    "properties": {
        "key": {"title": "Customer ID", "type": "string", "displayOrder": 0},
        "tier": {"title": "Tier", "type": "string", "displayOrder": 1},
        "credit_limit": {"title": "Credit Limit", "type": "integer", "displayOrder": 2},
        "discount": {"title": "Discount", "type": "number", "displayOrder": 3},
        "vip": {"title": "VIP", "type": "boolean", "displayOrder": 4},
    }
}
TABLE: TableColumns = parse_schema(SCHEMA, table_id="t-1", table_name="Customer Tiers")
ALL = {c: c for c in TABLE.names}


def check(rows: list[dict[str, Any]], **kwargs: Any) -> Any:
    return validate_import_rows(rows, TABLE, columns=ALL, **kwargs)


def test_columns_map_by_name_then_title_in_any_case() -> None:
    mapping = check_columns(["KEY", "Credit Limit", "discount", "vip "], TABLE, max_fields=50)
    assert mapping == {
        "KEY": "key",
        "Credit Limit": "credit_limit",
        "discount": "discount",
        "vip ": "vip",
    }


@pytest.mark.parametrize(
    ("source", "max_fields", "says"),
    [
        (
            ["key", "colour", "size"],
            50,
            "unknown column(s) 'colour', 'size'; the table has key ('Customer ID')",
        ),
        (["tier", "vip"], 50, "no column maps to the key property 'key' (title 'Customer ID')"),
        (["key", "Tier", "tier"], 50, "columns 'Tier' and 'tier' both map to property 'tier'"),
        (["key", "tier", "vip"], 2, "3 columns; the limit is 2 fields a table"),
    ],
)
def test_columns_that_cannot_be_mapped_are_refused(
    source: list[str], max_fields: int, says: str
) -> None:
    with pytest.raises(ImportColumnsError) as err:
        check_columns(source, TABLE, max_fields=max_fields)
    assert str(err.value).startswith("data table 'Customer Tiers' (t-1): ")
    assert says in str(err.value)


def test_good_rows_come_back_typed() -> None:
    rows = [
        {"key": "C-1", "tier": "gold", "credit_limit": 20000, "discount": 0.1, "vip": True},
        {"key": "C-2", "tier": "", "credit_limit": "300", "discount": "0.125", "vip": "FALSE"},
        {"key": "C-3", "tier": None, "credit_limit": 5.0, "discount": Decimal("0.5"), "vip": "1"},
        {"key": "C-4", "credit_limit": Decimal("7"), "discount": 3, "vip": "0"},
    ]
    result = check(rows, row_numbers=[10, 11, 12, 13])
    assert result.rejected == []
    assert result.valid_row_numbers == [10, 11, 12, 13]
    assert result.valid == [
        {"key": "C-1", "tier": "gold", "credit_limit": 20000, "discount": 0.1, "vip": True},
        {"key": "C-2", "tier": None, "credit_limit": 300, "discount": 0.125, "vip": False},
        {"key": "C-3", "tier": None, "credit_limit": 5, "discount": 0.5, "vip": True},
        {"key": "C-4", "tier": None, "credit_limit": 7, "discount": 3, "vip": False},
    ]
    assert type(result.valid[2]["credit_limit"]) is int


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ({"key": None}, "key", "the key is empty; every row needs one"),
        ({"key": "  "}, "key", "the key is empty; every row needs one"),
        ({"key": 42}, "key", "the key is int 42, not text: a key must be a string"),
        ({"key": "k" * 300}, "key", "key is 300 characters; the limit is 256"),
        ({"key": "a\x00b"}, "key", "the key holds a NUL character"),
        ({"key": "C", "tier": 5}, "tier", "field 'tier': expected text, got int 5"),
        (
            {"key": "C", "credit_limit": 1.5},
            "credit_limit",
            "field 'credit_limit': expected integer, got float 1.5",
        ),
        (
            {"key": "C", "credit_limit": "12abc"},
            "credit_limit",
            "expected integer, got str '12abc'",
        ),
        ({"key": "C", "credit_limit": True}, "credit_limit", "expected integer, got boolean True"),
        (
            {"key": "C", "credit_limit": 2**63},
            "credit_limit",
            "is out of range; the limit is a 64-bit integer",
        ),
        (
            {"key": "C", "discount": float("inf")},
            "discount",
            "expected a finite number, got float inf",
        ),
        ({"key": "C", "discount": float("nan")}, "discount", "expected a finite number"),
        ({"key": "C", "discount": "1,5"}, "discount", "expected a finite number, got str '1,5'"),
        (
            {"key": "C", "vip": "yes"},
            "vip",
            "field 'vip': expected boolean (true/false, or 1/0 text), got str 'yes'",
        ),
        ({"key": "C", "vip": 1}, "vip", "expected boolean (true/false, or 1/0 text), got int 1"),
    ],
)
def test_each_rule_refuses_its_failing_example(
    row: dict[str, Any], field: str, reason: str
) -> None:
    good = {"key": "fine", "tier": "gold"}
    result = check([good, row, {"key": "also-fine"}])
    assert [r["key"] for r in result.valid] == ["fine", "also-fine"]
    assert result.valid_row_numbers == [1, 3]
    [rejected] = result.rejected
    assert (rejected.row_number, rejected.field) == (2, field)
    assert reason in rejected.reason
    assert rejected.row == row  # the row as it was given
    assert rejected.key == (None if row["key"] in (None, "") else str(row["key"]))


def test_a_key_given_twice_rejects_the_later_row() -> None:
    result = check([{"key": "A", "tier": "gold"}, {"key": "B"}, {"key": "A", "tier": "silver"}])
    assert [r["key"] for r in result.valid] == ["A", "B"]
    [dup] = result.rejected
    assert (dup.row_number, dup.key, dup.field) == (3, "A", "key")
    assert dup.reason == "key 'A' appears again: first in row 1"


def test_rows_past_the_row_limit_are_rejected_naming_it() -> None:
    rows = [{"key": f"C-{n}"} for n in range(5)] + [{"key": None}]
    result = check(rows, max_rows=3)
    assert [r["key"] for r in result.valid] == ["C-0", "C-1", "C-2"]
    assert [(r.row_number, r.reason) for r in result.rejected] == [
        (4, "more than 3 valid rows; the limit is 3 rows a table"),
        (5, "more than 3 valid rows; the limit is 3 rows a table"),
        (6, "the key is empty; every row needs one"),
    ]


def test_only_mapped_columns_are_read() -> None:
    columns = check_columns(["Customer ID", "VIP"], TABLE, max_fields=50)
    result = validate_import_rows([{"Customer ID": "C-1", "VIP": "true"}], TABLE, columns=columns)
    assert result.valid == [{"key": "C-1", "vip": True}]
