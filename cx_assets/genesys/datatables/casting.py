"""Lossless casting of one value to a data table column type: pure, no I/O.

The server never coerces (`"3"` for a number column is a 400), so every value bound for a data
table is cast here, and only when the cast loses nothing; `rows.py` applies this to whole rows.

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
from decimal import Decimal, InvalidOperation
from typing import Any

#: The largest integer a JSON number (an IEEE double) holds exactly.
MAX_EXACT_INT = 2**53
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SHOWN_CHARS = 60


class CastError(ValueError):
    """A value that cannot be sent as the column's type without loss; the message says why."""


def normalise(value: Any) -> Any:
    """A value in a form that compares as the server does: integral floats as int, dates ISO."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value


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
