"""Column values of the independent tutorial data tables server: checking what a POST sends,
converting on a retype, and writing what a read serves.

docs/api-contract.md lines 237-240: `string`, `number` (JSON number, not a boolean), `boolean`,
`date` (`YYYY-MM-DD`; a timestamp too under the tutorial's reading, see `Quirks.date_timestamps`);
the server never coerces. Stored values: `str`, `int | float`, `bool`, `date` or an aware UTC
`datetime` (a timestamp with a time of day), or `None`.

Fixed readings where the text is silent: a retype converts losslessly or gives `null` (number to
string by its shortest spelling, `3` not `3.0`; string to number only when the spelling round
trips; boolean to number 1/0 and number 1/0 to boolean; boolean to string `true`/`false` and
back; date to string `YYYY-MM-DD` (a timestamp's ISO spelling) and back from a valid date;
nothing else converts).
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime
from typing import Any

TYPES = ("string", "number", "boolean", "date")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


class WrongValue(Exception):
    """A value that does not fit its column; the text is `expects ..., got ...`."""


def shown(value: Any) -> str:
    """How an error message names what arrived: `string "gold"`, `boolean true`, `number 3`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, int | float):
        return f"number {json.dumps(value)}"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=True)}"
    return "an array" if isinstance(value, list) else "an object"


def check(value: Any, kind: str, timestamps: bool) -> Any:
    """The stored form of a posted non-null value, or WrongValue (never a coercion)."""
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise WrongValue(f"expects a finite number, got {shown(value)}")
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        if (day := parse_date(value)) is not None:
            return day
        if timestamps and (stamp := parse_stamp(value)) is not None:
            return stamp
        spelled = "YYYY-MM-DD or an ISO timestamp" if timestamps else "YYYY-MM-DD"
        raise WrongValue(f"expects date ({spelled}), got {shown(value)}")
    raise WrongValue(f"expects {kind}, got {shown(value)}")


def parse_date(text: str) -> date | None:
    if not DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_stamp(text: str) -> date | datetime | None:
    """An aware timestamp in UTC; UTC midnight is the bare date (the same value)."""
    if not STAMP.match(text):
        return None
    try:
        stamp = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None
    if (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) == (0, 0, 0, 0):
        return stamp.date()
    return stamp


def convert(value: Any, old: str, new: str) -> Any:
    """A stored value retyped from `old` to `new`: the lossless conversion or None."""
    if value is None or old == new:
        return value
    as_text = text_of(value)
    if new == "string":
        return as_text
    if new == "number":
        if old == "boolean":
            return int(value)
        if old == "string":
            try:
                number = json.loads(value)
            except ValueError:
                return None
            ok = isinstance(number, int | float) and not isinstance(number, bool)
            return number if ok and text_of(number) == value else None
        return None
    if new == "boolean":
        if old == "number" and value in (0, 1):
            return bool(value)
        return {"true": True, "false": False}.get(value) if old == "string" else None
    if new == "date" and old == "string":
        return parse_date(value)
    return None


def text_of(value: Any) -> str:
    """The canonical spelling of a stored value (retypes to string, key parts of a row id)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def served(value: Any, kind: str, quirks: Any) -> Any:
    """What a read writes for a stored value under the current quirks."""
    if value is None:
        return None
    if kind == "number" and quirks.numbers_as_floats and isinstance(value, int):
        return float(value)
    if kind != "date":
        return value
    if not quirks.timestamps:
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    stamp = value if isinstance(value, datetime) else datetime(*value.timetuple()[:3], tzinfo=UTC)
    if quirks.date_timestamp_offset:
        return stamp.isoformat(timespec="milliseconds")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
