"""The contract's value types (string, number, boolean, date) and the strict check of a value.

Data table columns and data action dataset fields use the same four types, and both refuse a
value of the wrong type with the same words, so the check lives here for every flow. No
coercion at all: `"1"` is not a number and `1` is not a string.
"""

from __future__ import annotations

import json
import math
from datetime import date

TYPES = ("string", "number", "boolean", "date")


def show(value: object) -> str:
    """A value as the error message quotes it: JSON, with its JSON type first."""
    kind = {str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    name = kind.get(type(value), "array" if isinstance(value, list) else "object")
    return f"{name} {json.dumps(value, ensure_ascii=False)}"


def is_iso_date(value: object) -> bool:
    """True for a `YYYY-MM-DD` string naming a real calendar day."""
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def type_problem(kind: str, value: object) -> str | None:
    """Why `value` is not a `kind` (no coercion at all), or None when it is."""
    if value is None:
        return None
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)  # type: ignore[arg-type]
    elif kind == "boolean":
        ok = isinstance(value, bool)
    else:
        if is_iso_date(value):
            return None
        return f"expects date YYYY-MM-DD, got {show(value)}"
    return None if ok else f"expects {kind}, got {show(value)}"
