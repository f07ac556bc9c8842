"""Data table snapshots and import quarantines as typed Parquet files in the data root.

A snapshot keeps the vendor's column names exactly (spaces, capitals) and types each column from
the table schema, never by inference: a value that does not fit its declared type stops the write
with the column and row named, instead of turning the column into strings or dropping the value.
Both files appear atomically (temp name in the target folder, fsync, rename).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cx_assets.lake.atomic import publish_file, temp_path_for
from cx_assets.lake.paths import DataLayout, validate_partition_key, validate_token

SOURCE = "genesys"
SNAPSHOT_DATASET = "datatables"
QUARANTINE_DATASET = "datatable_imports"
SNAPSHOT_FILE = "snapshot.parquet"

#: Vendor column type -> DuckDB type of the Parquet column.
TYPE_MAP = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "integer": "BIGINT",  # platform mode (JSON Schema `integer`)
    "date": "DATE",
    "boolean": "BOOLEAN",
}
_POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "number": pl.Float64(),
    "integer": pl.Int64(),
    "date": pl.Date(),
    "boolean": pl.Boolean(),
}

#: The quarantine file's columns, in order.
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "field": pl.String(),
    "reason": pl.String(),
    "row_json": pl.String(),
}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN_VALUE_CHARS = 60
_HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class WrittenFile:
    """A published file: where it is, how many rows, its size and SHA-256 (hex)."""

    path: Path
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class QuarantineRow:
    """A source row that was not sent: 1-based row number, the field at fault if known, why,
    and the row itself as JSON (a JSON string of the raw text when it could not be parsed)."""

    row_number: int
    field: str | None
    reason: str
    row_json: str


class SnapshotValueError(ValueError):
    """A row value does not fit the type the table schema declares for its column."""


def _day(day: str | dt.date) -> str:
    if isinstance(day, dt.datetime) or not isinstance(day, str | dt.date):
        raise ValueError(f"snapshot day must be a date or YYYY-MM-DD, got {day!r}")
    text = day.isoformat() if isinstance(day, dt.date) else day
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"snapshot day {text!r} is not a calendar date YYYY-MM-DD")
    return validate_partition_key(text)


def snapshot_path(layout: DataLayout, table_id: str, day: str | dt.date) -> Path:
    """`lake/genesys/datatables/table_id=<id>/date=YYYY-MM-DD/snapshot.parquet`.

    The id is validated as a single safe path part, so no table id can steer the write
    outside the lake.
    """
    table_dir = f"table_id={validate_token(table_id, 'table id')}"
    return (
        layout.lake_dir(SOURCE, SNAPSHOT_DATASET) / table_dir / f"date={_day(day)}" / SNAPSHOT_FILE
    )


def quarantine_path(layout: DataLayout, import_name: str, run_id: str) -> Path:
    """`quarantine/genesys/datatable_imports/<import_name>/<run_id>.parquet`."""
    folder = layout.quarantine_dir(
        SOURCE, QUARANTINE_DATASET, validate_token(import_name, "import name")
    )
    return folder / f"{validate_token(run_id, 'run id')}.parquet"


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > _SHOWN_VALUE_CHARS:
        text = text[: _SHOWN_VALUE_CHARS - 3] + "..."
    return f"{type(value).__name__} {text}"


def _bad(column: str, vendor_type: str, row: int, value: Any, expected: str) -> SnapshotValueError:
    return SnapshotValueError(
        f"column {column!r} ({vendor_type}), row {row}: expected {expected}, got {_shown(value)}"
    )


# Strict per-type checks, hand-written because library conversion is lenient where the vendor
# contract is not (pyarrow and polars both turn True into 1.0 in a double column) and because the
# error must name the column and row.
def _strings(column: str, values: list[Any]) -> list[Any]:
    for i, v in enumerate(values):
        if v is not None and type(v) is not str:
            raise _bad(column, "string", i + 1, v, "a string")
    return values


def _numbers(column: str, values: list[Any]) -> list[Any]:
    for i, v in enumerate(values):
        if v is not None and type(v) is not float and type(v) is not int:
            raise _bad(column, "number", i + 1, v, "a number")
    return values


def _integers(column: str, values: list[Any]) -> list[Any]:
    for i, v in enumerate(values):
        if v is not None and type(v) is not int:
            raise _bad(column, "integer", i + 1, v, "an integer")
    return values


def _booleans(column: str, values: list[Any]) -> list[Any]:
    for i, v in enumerate(values):
        if v is not None and type(v) is not bool:
            raise _bad(column, "boolean", i + 1, v, "true or false")
    return values


def _dates(column: str, values: list[Any]) -> list[Any]:
    out: list[dt.date | None] = []
    append = out.append
    for i, v in enumerate(values):
        if v is None or (type(v) is dt.date):
            append(v)
            continue
        if type(v) is str and _ISO_DATE.fullmatch(v):
            try:
                append(dt.date.fromisoformat(v))
                continue
            except ValueError:
                pass
        raise _bad(column, "date", i + 1, v, "a date YYYY-MM-DD")
    return out


_CONVERTERS: dict[str, Callable[[str, list[Any]], list[Any]]] = {
    "string": _strings,
    "number": _numbers,
    "integer": _integers,
    "boolean": _booleans,
    "date": _dates,
}


def polars_schema(columns: Sequence[tuple[str, str]]) -> dict[str, pl.DataType]:
    """The Parquet schema of a snapshot: vendor names as spelled, types from `TYPE_MAP`."""
    names = [name for name, _ in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate column names in the table schema: {duplicates}")
    for name, vendor_type in columns:
        if not isinstance(name, str) or not name:
            raise ValueError(f"column name {name!r} must be a non-empty string")
        if vendor_type not in _POLARS_TYPES:
            raise ValueError(
                f"column {name!r} has type {vendor_type!r}; known types: {sorted(_POLARS_TYPES)}"
            )
    return {name: _POLARS_TYPES[vendor_type] for name, vendor_type in columns}


def _check_keys(rows: Sequence[Mapping[str, Any]], names: list[str]) -> None:
    """A key outside the schema would be silently dropped; refuse it instead."""
    known = set(names)
    for i, row in enumerate(rows):
        if not known.issuperset(row.keys()):
            extra = sorted(set(row.keys()) - known)
            raise SnapshotValueError(
                f"row {i + 1} has column(s) {extra} that the table schema does not declare"
            )


def _to_frame(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]
) -> pl.DataFrame:
    schema = polars_schema(columns)
    names = [name for name, _ in columns]
    _check_keys(rows, names)
    series = [
        pl.Series(
            name,
            _CONVERTERS[vendor_type](name, [row.get(name) for row in rows]),
            dtype=schema[name],
            strict=True,
        )
        for name, vendor_type in columns
    ]
    return pl.DataFrame(series)


def _publish_parquet(frame: pl.DataFrame, path: Path) -> WrittenFile:
    """Write `frame` beside `path`, fsync, rename; the temp file never survives an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    try:
        frame.write_parquet(tmp, compression="zstd")
        digest, size = _sha256_and_size(tmp)
        publish_file(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WrittenFile(path=path, rows=frame.height, bytes=size, sha256=digest)


def describe_file(path: Path, rows: int) -> WrittenFile:
    """A file written by someone else (e.g. a streamed export) as a `WrittenFile`."""
    sha256, size = _sha256_and_size(path)
    return WrittenFile(path=path, rows=rows, bytes=size, sha256=sha256)


def snapshot_quarantine_path(layout: DataLayout, table_id: str, day: str | dt.date) -> Path:
    """`quarantine/genesys/datatables/<table_id>/<day>.parquet`: snapshot rows that would not
    type (platform mode), beside the day's snapshot of the table."""
    folder = layout.quarantine_dir(SOURCE, SNAPSHOT_DATASET, validate_token(table_id, "table id"))
    return folder / f"{_day(day)}.parquet"


def _sha256_and_size(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_snapshot(
    path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]
) -> WrittenFile:
    """Write a table's rows as Parquet typed by `columns` (vendor name, vendor type), in order.

    A missing key or None is a null. Raises `SnapshotValueError` naming the column and 1-based
    row for a value of the wrong type or a key the schema does not declare; `path` is then left
    as it was (a previous snapshot stays whole).
    """
    return _publish_parquet(_to_frame(rows, columns), path)


def write_quarantine(path: Path, rejected: Sequence[QuarantineRow]) -> WrittenFile:
    """Write rejected rows (row_number, field, reason, row_json) as Parquet, atomically."""
    frame = pl.DataFrame(
        {
            "row_number": [r.row_number for r in rejected],
            "field": [r.field for r in rejected],
            "reason": [r.reason for r in rejected],
            "row_json": [r.row_json for r in rejected],
        },
        schema=QUARANTINE_SCHEMA,
        strict=True,
    )
    return _publish_parquet(frame, path)
