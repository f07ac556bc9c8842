"""Cell values as a rows page serves them, read into the form a snapshot keeps: pure, no I/O.

The contract spells a `date` cell `YYYY-MM-DD`, but the tutorial (which wins where it shows a
shape) serves a `date` column as a timestamp, `"2024-05-12T14:30:00Z"`, in any ISO spelling
(milliseconds, `+00:00`). A snapshot types the column as a date, so a timestamp is read as its
UTC calendar date; one with a time of day other than UTC midnight loses that time, and the
caller is told how many did (per column) so the loss is never silent. Anything else is left as
served: the lake's typed writer then refuses it naming column and row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")


def served_date(value: Any) -> tuple[Any, bool]:
    """`value` as `YYYY-MM-DD` when it is a date or an ISO timestamp, and whether a time of day
    was dropped; any other value unchanged (and False)."""
    if not isinstance(value, str) or _DAY.fullmatch(value) or not _STAMP.fullmatch(value):
        return value, False
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value, False
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date().isoformat(), moment.time() != dt.time(0)


def read_dates(rows: list[dict[str, Any]], column_types: Mapping[str, str]) -> dict[str, int]:
    """Rewrite every `date` cell of `rows` in place with `served_date`; per column, how many
    cells lost a time of day (only columns where some did)."""
    dates = [name for name, kind in column_types.items() if kind == "date"]
    dropped: dict[str, int] = {}
    for row in rows:
        for name in dates:
            if name not in row:
                continue
            row[name], lost = served_date(row[name])
            if lost:
                dropped[name] = dropped.get(name, 0) + 1
    return dropped
