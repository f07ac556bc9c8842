"""Check rows before they go into a platform data table import, so the server refuses none.

The rules are the platform's (docs/api-contract.md "Data tables", Help Center "Work with data
tables"): one string `key` of at most 256 characters, values of the property's JSON type, at
most `max_rows` rows and `max_fields` fields. A value is never guessed into a type it is not: a
key must already be text (an integer key from a query is refused, so `7` and `"007"` cannot
collide unseen), an integer may come as an integral float or integer text, a boolean as `true`
/`false`/`1`/`0` text only when it is text (a CSV source). A refused row is kept with its number,
key, field and reason, and the rest go on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cx_assets.genesys.datatables.platform_endpoints import MAX_KEY_CHARS
from cx_assets.genesys.datatables.platform_schema import Column, QuarantinedRow, TableColumns

_INTEGER = re.compile(r"[+-]?\d+(?:\.0*)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT64 = (-(2**63), 2**63 - 1)
_SHOWN = 40


class ImportColumnsError(ValueError):
    """The source's columns cannot be mapped onto the table; nothing was checked or sent."""


@dataclass(frozen=True)
class ImportValidation:
    """`valid`: typed values keyed by property name, every mapped property present (None: no
    value); `valid_row_numbers[i]` is the source row of `valid[i]`; `rejected` in row order."""

    valid: list[dict[str, Any]]
    valid_row_numbers: list[int]
    rejected: list[QuarantinedRow]


def check_columns(
    source_columns: Sequence[str], table: TableColumns, *, max_fields: int
) -> dict[str, str]:
    """Source column -> property name (by name, then by title, case-insensitive), or
    `ImportColumnsError` naming every unknown or repeated column, a missing key, the limit."""
    exact = table.by_name()
    by_name = {c.name.casefold(): c for c in table.columns}
    by_title = {title.casefold(): c for title, c in table.by_title().items()}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    first: dict[str, str] = {}
    problems: list[str] = []
    for source in source_columns:
        text = source.strip()
        column = exact.get(text) or by_name.get(text.casefold()) or by_title.get(text.casefold())
        if column is None:
            unknown.append(source)
            continue
        if column.name in first:
            problems.append(
                f"columns {first[column.name]!r} and {source!r} both map to property "
                f"{column.name!r}"
            )
            continue
        first[column.name] = source
        mapping[source] = column.name
    if unknown:
        known = ", ".join(f"{c.name} ({c.title!r})" for c in table.columns)
        listed = ", ".join(repr(u) for u in unknown)
        problems.insert(0, f"unknown column(s) {listed}; the table has {known}")
    if table.key.name not in first:
        problems.append(
            f"no column maps to the key property {table.key.name!r} (title {table.key.title!r})"
        )
    if len(source_columns) > max_fields:
        problems.append(f"{len(source_columns)} columns; the limit is {max_fields} fields a table")
    if problems:
        raise ImportColumnsError(f"{table.describe()}: " + "; ".join(problems))
    return mapping


def validate_import_rows(
    rows: Iterable[Mapping[str, Any]],
    table: TableColumns,
    *,
    columns: Mapping[str, str],
    row_numbers: Sequence[int] | None = None,
    max_rows: int = 5000,
) -> ImportValidation:
    """Split `rows` (source column -> value, as `check_columns` mapped them) into typed valid
    rows and rejected ones. A key seen before rejects the later row; valid rows past
    `max_rows` are rejected naming the limit."""
    by_name = table.by_name()
    targets = [(source, by_name[name]) for source, name in columns.items()]
    key_source = next((s for s, c in targets if c.is_key), None)
    if key_source is None:
        raise ImportColumnsError(f"{table.describe()}: no column maps to {table.key.name!r}")
    valid: list[dict[str, Any]] = []
    numbers: list[int] = []
    rejected: list[QuarantinedRow] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        number = row_numbers[index] if row_numbers is not None else index + 1
        typed, field, reason = _check_row(row, targets, key_source, table.key.name)
        if typed is not None:
            key = typed[table.key.name]
            if key in seen:
                field, reason = (
                    table.key.name,
                    f"key {key!r} appears again: first in row {seen[key]}",
                )
            elif len(valid) >= max_rows:
                field = None
                reason = f"more than {max_rows} valid rows; the limit is {max_rows} rows a table"
            else:
                seen[key] = number
                valid.append(typed)
                numbers.append(number)
                continue
        raw_key = row.get(key_source)
        shown_key = None if raw_key is None or raw_key == "" else str(raw_key)
        rejected.append(QuarantinedRow(number, shown_key, field, reason, dict(row)))
    return ImportValidation(valid, numbers, rejected)


def _check_row(
    row: Mapping[str, Any], targets: list[tuple[str, Column]], key_source: str, key_name: str
) -> tuple[dict[str, Any] | None, str | None, str]:
    """(typed row, None, "") or (None, the field at fault, why)."""
    problem = _key_problem(row.get(key_source))
    if problem is not None:
        return None, key_name, problem
    typed: dict[str, Any] = {}
    for source, column in targets:
        value, why = _convert(row.get(source), column)
        if why is not None:
            return None, column.name, f"field {column.name!r}: {why}"
        typed[column.name] = value
    return typed, None, ""


def _key_problem(key: Any) -> str | None:
    if key is None or (isinstance(key, str) and key.strip() == ""):
        return "the key is empty; every row needs one"
    if not isinstance(key, str):
        return (
            f"the key is {_describe(key)}, not text: a key must be a string (cast it to text in "
            "the source, e.g. with leading zeros as wanted)"
        )
    if len(key) > MAX_KEY_CHARS:
        return f"key is {len(key)} characters; the limit is {MAX_KEY_CHARS}"
    if "\x00" in key:
        return "the key holds a NUL character, which a CSV file cannot carry"
    return None


def _convert(value: Any, column: Column) -> tuple[Any, str | None]:
    """(the value as the property's type, None) or (None, why not)."""
    if value is None or (isinstance(value, str) and value == ""):
        return None, None
    kind = column.type
    if kind == "string":
        if not isinstance(value, str):
            return None, f"expected text, got {_describe(value)}"
        if "\x00" in value:
            return None, "holds a NUL character, which a CSV file cannot carry"
        return value, None
    if kind == "boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1"), None
        return None, f"expected boolean (true/false, or 1/0 text), got {_describe(value)}"
    if isinstance(value, bool):
        return None, f"expected {kind}, got boolean {value}"
    if kind == "integer":
        whole = _integer(value)
        if whole is None:
            return None, f"expected integer, got {_describe(value)}"
        if not _INT64[0] <= whole <= _INT64[1]:
            return None, f"{whole} is out of range; the limit is a 64-bit integer"
        return whole, None
    number = _number(value)
    if number is None:
        return None, f"expected a finite number, got {_describe(value)}"
    return number, None


def _integer(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip().split(".")[0])
    return None


def _number(value: Any) -> int | float | None:
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value.strip())
        return number if math.isfinite(number) else None
    return None


def _describe(value: Any) -> str:
    text = repr(value)
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return f"{type(value).__name__} {shown}"
