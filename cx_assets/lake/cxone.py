"""CXone interaction records: per-day split, schema alignment, and one typed Parquet per day.

The lake keeps every record the API returned (nothing is dropped): a record that lacks a field,
or whose value does not fit the column type, lands with that column null, and the day's
alignment says how many records were complete and which fields were missing how often. The
explicit schema below is the file schema: polars never infers anything here.

Records are placed in a day by their `startTime` (UTC). A record that lacks a usable `startTime`
is placed by its `endTime` when that day is one of the exported days (it then counts, as
incomplete, in the day it most likely belongs to, so the day's integrity stays honest); one that
still cannot be placed is reported in `DaySplit.unplaced` and goes to quarantine
(`write_unplaced`), never silently into some day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cx_assets.lake.atomic import atomic_write, publish_file, temp_path_for
from cx_assets.lake.paths import DataLayout, validate_token

SOURCE = "cxone"
DATASET = "interactions"
PART_FILE = "part.parquet"
REASON_UNPLACED = "no usable startTime, and endTime outside the exported days"
#: The catalog view over these files (a schema-qualified name) and its glob under the lake root.
VIEW_NAME = "cxone.interactions"
VIEW_GLOB = f"{SOURCE}/{DATASET}/date=*/*.parquet"

#: (column, DuckDB type) in file order; the catalog view declares the same.
INTERACTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "VARCHAR"),
    ("direction", "VARCHAR"),
    ("medium", "VARCHAR"),
    ("start_time", "TIMESTAMPTZ"),
    ("end_time", "TIMESTAMPTZ"),
    ("agent_id", "VARCHAR"),
    ("queue_id", "VARCHAR"),
    ("hold_time", "DOUBLE"),
    ("wrap_time", "DOUBLE"),
    ("talk_time", "DOUBLE"),
)

#: The API field behind each column, in column order: the contract's 10 record fields.
FIELD_OF_COLUMN: dict[str, str] = {
    "id": "id",
    "direction": "direction",
    "medium": "medium",
    "start_time": "startTime",
    "end_time": "endTime",
    "agent_id": "agentId",
    "queue_id": "queueId",
    "hold_time": "holdTime",
    "wrap_time": "wrapTime",
    "talk_time": "talkTime",
}
REQUIRED_FIELDS: tuple[str, ...] = tuple(FIELD_OF_COLUMN.values())

_POLARS_TYPES = {
    "VARCHAR": pl.String(),
    "TIMESTAMPTZ": pl.Datetime("us", "UTC"),
    "DOUBLE": pl.Float64(),
}
SCHEMA = pl.Schema({name: _POLARS_TYPES[typ] for name, typ in INTERACTION_COLUMNS})


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _instant(value: Any) -> dt.datetime | None:
    """An ISO 8601 instant with an offset or `Z`, as UTC; anything else is None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo is not None else None


def _seconds(value: Any) -> float | None:
    """A finite number of seconds (bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "VARCHAR": _text,
    "TIMESTAMPTZ": _instant,
    "DOUBLE": _seconds,
}
_COLUMN_CONVERTERS = tuple(
    (column, FIELD_OF_COLUMN[column], _CONVERTERS[typ]) for column, typ in INTERACTION_COLUMNS
)


def to_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as a lake row; an absent, null or ill-typed field becomes None."""
    return {column: convert(record.get(name)) for column, name, convert in _COLUMN_CONVERTERS}


def missing_fields(record: Mapping[str, Any]) -> list[str]:
    """API field names that are absent, null or not of the column's type in `record`."""
    return [name for _, name, convert in _COLUMN_CONVERTERS if convert(record.get(name)) is None]


def is_complete(record: Mapping[str, Any]) -> bool:
    return not missing_fields(record)


# -- split by day --------------------------------------------------------------------------------


@dataclass
class DaySplit:
    """Records grouped by the UTC day of `startTime`; `unplaced` have no usable `startTime`."""

    by_day: dict[dt.date, list[dict[str, Any]]] = field(default_factory=dict)
    unplaced: list[dict[str, Any]] = field(default_factory=list)

    def outside(self, days: Iterable[dt.date]) -> list[dt.date]:
        """Days that hold records but are not among `days` (the range that was exported)."""
        wanted = set(days)
        return sorted(d for d, records in self.by_day.items() if records and d not in wanted)


def split_by_day(records: Iterable[dict[str, Any]], days: Iterable[dt.date] = ()) -> DaySplit:
    """Group `records` by UTC day of `startTime`, in input order; every day of `days` gets a key
    (possibly an empty list) so an empty day is still written and replaces an older file.

    Without a usable `startTime`, a record goes to the day of its `endTime` if that is one of
    `days`, else to `unplaced`.
    """
    split = DaySplit(by_day={day: [] for day in days})
    wanted = set(split.by_day)
    for record in records:
        day = _placement_day(record, wanted)
        if day is None:
            split.unplaced.append(record)
        else:
            split.by_day.setdefault(day, []).append(record)
    return split


def _placement_day(record: Any, wanted: set[dt.date]) -> dt.date | None:
    if not isinstance(record, Mapping):
        return None
    start = _instant(record.get("startTime"))
    if start is not None:
        return start.date()
    end = _instant(record.get("endTime"))
    return end.date() if end is not None and end.date() in wanted else None


# -- alignment ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayAlignment:
    """How complete a day's records are: `valid` records have every required field usable."""

    day: dt.date
    total: int
    valid: int
    integrity_rate: float
    missing_by_field: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "total": self.total,
            "valid": self.valid,
            "integrity_rate": self.integrity_rate,
            "missing_by_field": dict(self.missing_by_field),
        }


def align_day(day: dt.date, records: Sequence[Mapping[str, Any]]) -> DayAlignment:
    """Count complete records and, per required field, the records missing it.

    `missing_by_field` lists every required field (0 when none is missing), so the metric has
    the same keys every day. An empty day has integrity 1.0: nothing is incomplete.
    """
    missing = dict.fromkeys(REQUIRED_FIELDS, 0)
    valid = 0
    for record in records:
        absent = missing_fields(record)
        for name in absent:
            missing[name] += 1
        valid += not absent
    total = len(records)
    rate = valid / total if total else 1.0
    return DayAlignment(day, total, valid, rate, missing)


# -- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenDay:
    """A published day file: where, how many rows, how big, its SHA-256."""

    day: dt.date
    path: Path
    rows: int
    bytes: int
    sha256: str


def day_path(layout: DataLayout, day: dt.date) -> Path:
    """`lake/cxone/interactions/date=YYYY-MM-DD/part.parquet`."""
    return layout.lake_partition_dir(SOURCE, DATASET, day) / PART_FILE


def write_day(layout: DataLayout, day: dt.date, records: Sequence[Mapping[str, Any]]) -> WrittenDay:
    """Write `records` as the day's one Parquet file, replacing only that day's file.

    Every record becomes a row (nothing dropped); the file is written under a temp name, hashed,
    fsynced and renamed, so readers see the old day or the new one, never half a file. An empty
    day still gets a (typed, empty) file so a re-run that found nothing replaces stale rows.
    """
    final = day_path(layout, day)
    final.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame([to_row(r) for r in records], schema=SCHEMA, orient="row")
    tmp = temp_path_for(final)
    try:
        frame.write_parquet(tmp, compression="zstd", statistics=True)
        digest = hashlib.sha256()
        with open(tmp, "rb") as fh:
            for block in iter(lambda: fh.read(1024 * 1024), b""):
                digest.update(block)
        size = tmp.stat().st_size
        publish_file(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WrittenDay(day, final, frame.height, size, digest.hexdigest())


def unplaced_path(layout: DataLayout, export_id: str) -> Path:
    """`quarantine/cxone/interactions/<export_id>/unplaced.jsonl`."""
    return layout.quarantine_dir(SOURCE, DATASET, validate_token(export_id, "export id")) / (
        "unplaced.jsonl"
    )


def write_unplaced(
    layout: DataLayout, export_id: str, records: Sequence[Mapping[str, Any]]
) -> Path | None:
    """Quarantine records that could not be placed in a day, as served (one JSON per line), with
    the reason; None when there are none. Atomic, so a re-run replaces the export's file."""
    if not records:
        return None
    path = unplaced_path(layout, export_id)
    with atomic_write(path) as fh:
        for record in records:
            line = {"reason": REASON_UNPLACED, "export_id": export_id, "record": record}
            fh.write(json.dumps(line, sort_keys=True, default=str).encode("utf-8") + b"\n")
    return path
