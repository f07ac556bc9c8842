"""Client-side validation of rows bound for a data table: pure, no I/O, before any request.

The server never coerces (`"3"` for a number column is a 400), so every value is cast here, and
only when the cast loses nothing. A row that cannot be sent becomes a `RejectedRow` naming its
row number, the field and the reason; it is never dropped silently.

Casting decisions (one value in, the value sent out):

- string: a `str`, kept as is (`""` stays `""`). Anything else is rejected: `123` could have been
  `"00123"`, and the server would refuse it anyway.
- number: `int`/`float`/`Decimal` (not `bool`), or a string in plain decimal/scientific notation
  (surrounding spaces ignored). Integral values are sent as `int` (`"3"`, `"3.0"`, `3.0` -> `3`);
  others as `float` only if that float reads back as the same decimal (`"3.5"` -> `3.5`, but
  `"0.1000000000000000000001"` is rejected). Rejected: `"gold"`, `""` in a key, `"NaN"`,
  `"inf"`, `"1e400"` (overflows), integers beyond 2**53 (a JSON number is a double), `"1,5"`.
- boolean: `bool`, or the strings `"true"`/`"false"` in any case. `1`/`0`, `"yes"`, `"t"` are
  rejected: a column shifted by one in a CSV would otherwise pass as booleans.
- date: `datetime.date`, a `datetime` at exactly midnight (naive or UTC), or an ISO string
  `YYYY-MM-DD` (also `YYYYMMDD`, or a midnight `YYYY-MM-DDT00:00:00[Z|+00:00]`), sent as
  `YYYY-MM-DD`. A time other than midnight, another offset, or `03/01/2024` is rejected.
- `None` is null; an empty string in a non-key column of a non-string type is null too, because a
  CSV cannot spell null. An empty string, `None` or absent value in a key column is a missing key.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cx_assets.genesys.datatables.models import TableSchema

#: The largest integer a JSON number (an IEEE double) holds exactly.
MAX_EXACT_INT = 2**53
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SHOWN_CHARS = 60


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


class CastError(ValueError):
    """A value that cannot be sent as the column's type without loss; the message says why."""


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


def normalise(value: Any) -> Any:
    """A value in a form that compares as the server does: integral floats as int, dates ISO."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value


# -- casting ----------------------------------------------------------------------------------


def cast_value(value: Any, column_type: str, *, is_key: bool = False) -> Any:
    """`value` as the JSON value for a `column_type` column; `CastError` if that would lose
    anything (see the module docstring for the rules)."""
    if value is None:
        return None
    if value == "" and column_type != "string" and not is_key:
        return None
    caster = _CASTERS.get(column_type)
    if caster is None:
        raise CastError(f"column type {column_type!r} is not one of string/number/boolean/date")
    return caster(value)


def _describe(value: Any) -> str:
    kind = {bool: "boolean", str: "string", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "…"
    return f"{kind} {text}"


def _cast_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise CastError(f"expects string, got {_describe(value)}")


def _cast_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise CastError(f"expects number, got {_describe(value)}")
    if isinstance(value, int):
        return _exact_int(value, value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CastError(f"expects a finite number, got {value!r}")
        return _exact_int(int(value), value) if value.is_integer() else value
    if isinstance(value, Decimal):
        return _from_decimal(value, value)
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            raise CastError(f"expects number, got {_describe(value)}")
        try:
            return _from_decimal(Decimal(text), value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise CastError(f"expects number, got {_describe(value)}") from None
    raise CastError(f"expects number, got {_describe(value)}")


def _from_decimal(number: Decimal, original: Any) -> int | float:
    if not number.is_finite():
        raise CastError(f"expects a finite number, got {_describe(original)}")
    if number == number.to_integral_value():
        return _exact_int(int(number), original)
    as_float = float(number)
    if not math.isfinite(as_float) or Decimal(repr(as_float)) != number:
        raise CastError(
            f"{_describe(original)} is not exactly representable as a JSON number (double)"
        )
    return as_float


def _exact_int(number: int, original: Any) -> int:
    if abs(number) > MAX_EXACT_INT:
        raise CastError(
            f"{_describe(original)} is beyond ±2**53, not exactly representable as a JSON number"
        )
    return number


def _cast_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
    raise CastError(f"expects boolean (true/false), got {_describe(value)}")


def _cast_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return _midnight_date(value, value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if "T" in text or " " in text:
            try:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise CastError(f"expects date YYYY-MM-DD, got {_describe(value)}") from None
            return _midnight_date(moment, value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{8}", text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                raise CastError(f"not a calendar date: {_describe(value)}") from None
    raise CastError(f"expects date YYYY-MM-DD, got {_describe(value)}")


def _midnight_date(moment: dt.datetime, original: Any) -> str:
    offset = moment.utcoffset()
    if moment.time() != dt.time(0) or offset not in (None, dt.timedelta(0)):
        raise CastError(
            f"expects a date; {_describe(original)} has a time of day or a non-UTC offset "
            "(only midnight UTC/naive is a plain date)"
        )
    return moment.date().isoformat()


_CASTERS = {
    "string": _cast_string,
    "number": _cast_number,
    "boolean": _cast_boolean,
    "date": _cast_date,
}


# -- source columns vs table schema -----------------------------------------------------------


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
