"""Client-side validation of rows bound for a data table: pure, no I/O, before any request.

Every value is cast losslessly to its column's type (`casting.cast_value`, whose docstring holds
the rules). A row that cannot be sent becomes a `RejectedRow` naming its row number, the field
and the reason; it is never dropped silently. A source whose columns do not fit the table's
schema raises `SchemaMismatch`, so no doomed batch is ever sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cx_assets.genesys.datatables.casting import CastError, cast_value, normalise
from cx_assets.genesys.datatables.models import TableSchema


@dataclass(frozen=True)
class RejectedRow:
    """A row that will not be sent: its source row number, the (first) field at fault, why."""

    row_number: int
    field: str | None
    reason: str
    row: dict[str, Any]


@dataclass(frozen=True)
class ValidRow:
    """A row ready to send: `columns` hold the cast values, only the source's columns."""

    row_number: int
    columns: dict[str, Any]


@dataclass(frozen=True)
class RowValidation:
    valid: list[ValidRow]
    rejected: list[RejectedRow]


class SchemaMismatch(ValueError):
    """The source's columns do not fit the table: sending would only produce doomed batches."""


def validate_rows(
    rows: Iterable[Mapping[str, Any]],
    schema: TableSchema,
    *,
    first_row_number: int = 1,
    row_numbers: Sequence[int] | None = None,
) -> RowValidation:
    """Cast every row to the table's types and split valid from rejected, in source order.

    Row numbers count from `first_row_number`, or come from `row_numbers` (one per row, e.g. the
    CSV record numbers when unreadable lines were skipped). A row with several problems is
    rejected once, naming the first field and every reason. Duplicate keys: the first row with a
    key wins; every later one is rejected, naming the first one's row number.
    """
    types = schema.column_types()
    key = schema.primary_key
    valid: list[ValidRow] = []
    rejected: list[RejectedRow] = []
    first_seen: dict[tuple[Any, ...], int] = {}
    for index, row in enumerate(rows):
        number = row_numbers[index] if row_numbers is not None else first_row_number + index
        columns, problems = _cast_row(row, types, key)
        if not problems:
            identity = key_of(columns, key)
            if identity in first_seen:
                shown = ", ".join(f"{k}={columns[k]!r}" for k in key)
                problems.append(
                    (key[0], f"duplicate key ({shown}): first seen in row {first_seen[identity]}")
                )
            else:
                first_seen[identity] = number
        if problems:
            reason = "; ".join(f"field '{f}': {why}" if f else why for f, why in problems)
            rejected.append(RejectedRow(number, problems[0][0], reason, dict(row)))
        else:
            valid.append(ValidRow(number, columns))
    return RowValidation(valid, rejected)


def _cast_row(
    row: Mapping[str, Any], types: Mapping[str, str], key: Sequence[str]
) -> tuple[dict[str, Any], list[tuple[str | None, str]]]:
    columns: dict[str, Any] = {}
    problems: list[tuple[str | None, str]] = []
    for name in key:
        value = row.get(name)
        if value is None or value == "":
            problems.append((name, "primary-key column is missing or empty"))
    for name, value in row.items():
        column_type = types.get(name)
        if column_type is None:
            problems.append((name, "unknown column (not in the table's schema)"))
            continue
        is_key = name in key
        if is_key and (value is None or value == ""):
            continue  # already reported as a missing key
        try:
            columns[name] = cast_value(value, column_type, is_key=is_key)
        except CastError as exc:
            problems.append((name, str(exc)))
    return columns, problems


def key_of(columns: Mapping[str, Any], key: Sequence[str]) -> tuple[Any, ...]:
    """The row's primary key as a hashable tuple, numbers normalised (3.0 and 3 are one key)."""
    return tuple(normalise(columns.get(k)) for k in key)


def check_source_columns(
    source_columns: Sequence[str],
    schema: TableSchema,
    source_types: Mapping[str, str] | None = None,
    *,
    allow_missing_columns: bool = False,
) -> None:
    """Raise `SchemaMismatch` listing every new, missing or retyped column, before any request.

    New: in the source, not in the table. Missing: in the table, not in the source (a key column
    always; other columns unless `allow_missing_columns`, since an upsert that omits a column may
    null it on the server). Retyped: `source_types` (known for typed files such as Parquet) says
    another type than the table (sources without types, such as CSV, are cast value by value).
    """
    types = schema.column_types()
    present = set(source_columns)
    problems: list[str] = []
    for name in source_columns:
        if name not in types:
            problems.append(f"new column {name!r} is not in the table")
    for name, column_type in types.items():
        if name in present:
            continue
        if name in schema.primary_key:
            problems.append(f"missing primary-key column {name!r} ({column_type})")
        elif not allow_missing_columns:
            problems.append(f"missing column {name!r} ({column_type})")
    for name, source_type in (source_types or {}).items():
        expected = types.get(name)
        if expected is None or source_type == expected:
            continue
        problems.append(
            f"retyped column {name!r}: {source_type} in the source, {expected} in the table"
        )
    if problems:
        raise SchemaMismatch(
            f"source columns do not match data table {schema.name!r} ({schema.id}, version "
            f"{schema.version}): " + "; ".join(problems)
        )
