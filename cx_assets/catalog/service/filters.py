"""What the catalog service may show, and the filters of its listing routes.

Never served: anything whose source, dataset or view name mentions `privacy`, any file under
`<data root>/privacy`, and any URI query string (presigned signatures; exports.py strips them).
Shared by exports.py and datasets.py, together with the small conversions both need to answer
in JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

PRIVACY = "privacy"


@dataclass(frozen=True)
class Filters:
    """Optional filters of the listing routes: partition days in `start..end`, one source."""

    start: dt.date | None = None
    end: dt.date | None = None
    source: str | None = None

    def day_ok(self, first: dt.date | None, last: dt.date | None = None) -> bool:
        """True when `first..last` overlaps the filter's range (an undated item always passes)."""
        if first is None:
            return True
        last = last or first
        return (self.start is None or last >= self.start) and (
            self.end is None or first <= self.end
        )

    def source_ok(self, source: str | None) -> bool:
        return self.source is None or source == self.source


def private(*names: str | None) -> bool:
    """True when any of `names` mentions privacy (such a source, dataset or view is hidden)."""
    return any(n is not None and PRIVACY in n.lower() for n in names)


def in_privacy_area(path: str | None, data_root: Path) -> bool:
    """True for a path (absolute, or relative to `data_root`) under `<data root>/privacy`."""
    if not path:
        return False
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = data_root / candidate
    try:
        candidate.resolve().relative_to((data_root / PRIVACY).resolve())
    except ValueError:
        return PRIVACY in Path(path).parts
    return True


def parse_day(text: str | None) -> dt.date | None:
    """The date `YYYY-MM-DD` in `text`, or None when absent or not a date."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def catalog_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The catalog's tables in `main` (a flow never materialised has none of its own)."""
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
    return {name for (name,) in rows.fetchall()}


def jsonable(value: Any) -> Any:
    """`value` with every date and datetime, however deep, as ISO text."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
