"""Contract: rows bound for a data table are validated and cast client-side, before any request.

Each rejected row names its source row number, the field and the reason; duplicates after the
first are rejected naming the first row; casts are lossless only ("3" -> 3, never "3.7" -> 3);
a source whose columns do not fit the table raises SchemaMismatch listing every difference.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cx_assets.genesys.datatables.casting import CastError, cast_value
from cx_assets.genesys.datatables.models import TableSchema
from cx_assets.genesys.datatables.rows import (
    SchemaMismatch,
    check_source_columns,
    validate_rows,
)

TIERS = TableSchema.model_validate(
    {
        "id": "t-1",
        "name": "Customer Tiers",
        "version": 3,
        "columns": [
            {"name": "customer_id", "type": "string", "isPrimaryKey": True},
            {"name": "tier", "type": "string", "isPrimaryKey": False},
            {"name": "credit_limit", "type": "number", "isPrimaryKey": False},
            {"name": "vip", "type": "boolean", "isPrimaryKey": False},
            {"name": "since", "type": "date", "isPrimaryKey": False},
        ],
    }
)
HOLIDAYS = TableSchema.model_validate(
    {
        "id": "t-3",
        "name": "Holiday Calendar",
        "version": 1,
        "columns": [
            {"name": "region", "type": "string", "isPrimaryKey": True},
            {"name": "date", "type": "date", "isPrimaryKey": True},
            {"name": "open", "type": "boolean", "isPrimaryKey": False},
        ],
    }
)


def row(**overrides: Any) -> dict[str, Any]:
    base = {
        "customer_id": "C-1",
        "tier": "gold",
        "credit_limit": "5000",
        "vip": "true",
        "since": "2023-04-01",
    }
    return {**base, **overrides}


def test_schema_model_reads_the_api_shape() -> None:
    assert TIERS.primary_key == ("customer_id",)
    assert HOLIDAYS.primary_key == ("region", "date")
    assert TIERS.column_types()["credit_limit"] == "number"
    dumped = TIERS.columns[0].model_dump(by_alias=True)
    assert dumped == {"name": "customer_id", "type": "string", "isPrimaryKey": True}


def test_csv_strings_are_cast_to_the_column_types() -> None:
    result = validate_rows([row()], TIERS)
    assert result.rejected == []
    assert result.valid[0].columns == {
        "customer_id": "C-1",
        "tier": "gold",
        "credit_limit": 5000,
        "vip": True,
        "since": "2023-04-01",
    }
    assert type(result.valid[0].columns["credit_limit"]) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3),
        ("3.5", 3.5),
        (" -2 ", -2),
        ("3.0", 3),
        ("1e3", 1000),
        ("0.25", 0.25),
        (7, 7),
        (2.5, 2.5),
        (4.0, 4),
        (Decimal("12.50"), 12.5),
        ("", None),
        (None, None),
    ],
)
def test_number_casts_losslessly(value: Any, expected: Any) -> None:
    cast = cast_value(value, "number")
    assert cast == expected
    assert type(cast) is type(expected)


@pytest.mark.parametrize(
    "value",
    [
        "gold",
        "NaN",
        "inf",
        "-Infinity",
        "1e400",
        "1,5",
        "0x10",
        True,
        float("nan"),
        2**60,
        "0.1000000000000000000001",
    ],
)
def test_number_rejects_what_cannot_be_sent_exactly(value: Any) -> None:
    with pytest.raises(CastError):
        cast_value(value, "number")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("FALSE", False), (" True ", True), (False, False), ("", None)],
)
def test_boolean_accepts_true_false_any_case(value: Any, expected: Any) -> None:
    assert cast_value(value, "boolean") is expected


@pytest.mark.parametrize("value", ["1", "0", 1, 0, "yes", "t", "gold"])
def test_boolean_rejects_numbers_and_other_words(value: Any) -> None:
    with pytest.raises(CastError, match="expects boolean"):
        cast_value(value, "boolean")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01", "2024-03-01"),
        ("20240301", "2024-03-01"),
        ("2024-03-01T00:00:00", "2024-03-01"),
        ("2024-03-01T00:00:00Z", "2024-03-01"),
        (dt.date(2024, 3, 1), "2024-03-01"),
        (dt.datetime(2024, 3, 1), "2024-03-01"),
        (dt.datetime(2024, 3, 1, tzinfo=dt.UTC), "2024-03-01"),
    ],
)
def test_date_accepts_iso_dates_and_midnight(value: Any, expected: str) -> None:
    assert cast_value(value, "date") == expected


@pytest.mark.parametrize(
    "value",
    [
        "03/01/2024",
        "2024-02-30",
        "2024-03-01T09:30:00",
        "2024-03-01T00:00:00+02:00",
        dt.datetime(2024, 3, 1, 12),
        20240301,
    ],
)
def test_date_rejects_ambiguous_or_lossy_values(value: Any) -> None:
    with pytest.raises(CastError):
        cast_value(value, "date")


def test_string_column_takes_strings_only_and_keeps_empty_strings() -> None:
    assert cast_value("", "string") == ""
    with pytest.raises(CastError, match="expects string, got number 123"):
        cast_value(123, "string")


def test_each_rejection_names_row_number_field_and_reason() -> None:
    rows = [
        row(customer_id="C-1"),
        row(customer_id="C-2", credit_limit="gold"),
        row(customer_id="C-3", loyalty="high"),
        row(customer_id=""),
        row(customer_id="C-5", vip="1"),
        row(customer_id="C-6", since="2024-13-01"),
        {"tier": "gold"},
        row(customer_id="C-8", credit_limit="3.7"),
    ]
    result = validate_rows(rows, TIERS, first_row_number=2)
    by_row = {r.row_number: r for r in result.rejected}
    assert [v.row_number for v in result.valid] == [2, 9]
    assert result.valid[1].columns["credit_limit"] == 3.7  # kept exact, never rounded to 3
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8]
    assert by_row[3].field == "credit_limit"
    assert by_row[3].reason == "field 'credit_limit': expects number, got string \"gold\""
    assert by_row[4].field == "loyalty" and "unknown column" in by_row[4].reason
    assert by_row[5].field == "customer_id" and "missing" in by_row[5].reason
    assert by_row[6].field == "vip"
    assert by_row[7].field == "since" and "not a calendar date" in by_row[7].reason
    assert by_row[8].field == "customer_id"
    assert by_row[4].row == rows[2]  # the row as read, for quarantine


def test_a_row_with_several_problems_is_rejected_once_naming_all() -> None:
    result = validate_rows([row(credit_limit="x", vip="maybe")], TIERS)
    [rejected] = result.rejected
    assert rejected.field == "credit_limit"
    assert "'credit_limit'" in rejected.reason and "'vip'" in rejected.reason


def test_duplicates_after_the_first_are_rejected_naming_the_first_row() -> None:
    rows = [row(customer_id="C-1"), row(customer_id="C-2"), row(customer_id="C-1", tier="x")]
    rows.append(row(customer_id="C-1", tier="y"))
    result = validate_rows(rows, TIERS, row_numbers=[10, 11, 14, 20])
    assert [v.row_number for v in result.valid] == [10, 11]
    assert [(r.row_number, r.field) for r in result.rejected] == [
        (14, "customer_id"),
        (20, "customer_id"),
    ]
    assert all("first seen in row 10" in r.reason for r in result.rejected)


def test_composite_keys_compare_after_casting() -> None:
    rows = [
        {"region": "EU", "date": "2024-12-25", "open": "false"},
        {"region": "EU", "date": dt.date(2024, 12, 25), "open": "true"},
        {"region": "US", "date": "2024-12-25", "open": ""},
        {"region": "US", "date": None, "open": "true"},
    ]
    result = validate_rows(rows, HOLIDAYS)
    assert [v.row_number for v in result.valid] == [1, 3]
    assert result.valid[1].columns["open"] is None  # CSV empty cell in a non-key boolean: null
    assert result.rejected[0].row_number == 2 and "first seen in row 1" in result.rejected[0].reason
    assert result.rejected[1].row_number == 4 and result.rejected[1].field == "date"


def test_source_columns_that_fit_pass() -> None:
    check_source_columns(["customer_id", "tier", "credit_limit", "vip", "since"], TIERS)
    check_source_columns(["customer_id", "tier"], TIERS, allow_missing_columns=True)


def test_schema_mismatch_lists_every_new_missing_and_retyped_column() -> None:
    with pytest.raises(SchemaMismatch) as raised:
        check_source_columns(
            ["tier", "credit_limit", "vip", "since", "loyalty"],
            TIERS,
            {"credit_limit": "string", "vip": "boolean", "loyalty": "number"},
        )
    message = str(raised.value)
    assert "'Customer Tiers'" in message
    assert "new column 'loyalty'" in message
    assert "missing primary-key column 'customer_id'" in message
    assert "retyped column 'credit_limit': string in the source, number in the table" in message
    assert "'vip'" not in message


def test_missing_key_column_halts_even_when_missing_columns_are_allowed() -> None:
    with pytest.raises(SchemaMismatch, match="missing primary-key column 'customer_id'"):
        check_source_columns(["tier"], TIERS, allow_missing_columns=True)
    with pytest.raises(SchemaMismatch, match="missing column 'since'"):
        check_source_columns(["customer_id", "tier", "credit_limit", "vip"], TIERS)
