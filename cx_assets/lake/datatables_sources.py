"""The data tables flow's import sources: read the rows of an import's source file (CSV, JSON
Lines or Parquet) before they are validated against the table and sent.

Nothing is guessed and nothing vanishes. CSV cells stay strings (the import's validation casts
losslessly against the table schema, not this reader); JSON values keep their JSON types; Parquet
columns report a vendor-style type so a retyped column is caught before any request. A record
that cannot be read as a row (a ragged CSV line, a JSONL line that is not a JSON object) becomes
an `unreadable` quarantine row with its row number, never a silent skip.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cx_assets.lake.datatables import QuarantineRow

CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
ALLOWED_SUFFIXES = (*CSV_SUFFIXES, *JSONL_SUFFIXES, *PARQUET_SUFFIXES)

REASON_RAGGED = "ragged CSV row"
REASON_INVALID_JSON = "invalid JSON"
REASON_NOT_OBJECT = "not a JSON object"


@dataclass(frozen=True)
class SourceRows:
    """The readable rows of a source, in file order, and what could not be read.

    Attributes:
        rows: one dict per row, column name -> value.
        columns: every column name, in first-seen order.
        column_types: vendor-style types (string/number/boolean/date) when the file carries
            types (Parquet), else None.
        unreadable: records that are not rows, ready for quarantine.
        row_numbers: the 1-based source row number of each entry of `rows` (CSV: data records,
            header excluded; JSONL: line numbers; Parquet: row index + 1). Defaults to 1..n.
    """

    rows: list[dict[str, Any]]
    columns: list[str]
    column_types: dict[str, str] | None
    unreadable: list[QuarantineRow]
    row_numbers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.row_numbers:
            object.__setattr__(self, "row_numbers", list(range(1, len(self.rows) + 1)))
        if len(self.row_numbers) != len(self.rows):
            raise ValueError(
                f"{len(self.row_numbers)} row numbers for {len(self.rows)} rows: they must align"
            )


def read_source_rows(path: Path) -> SourceRows:
    """Read `path` by its suffix (.csv, .jsonl/.ndjson, .parquet; case-insensitive).

    Raises:
        ValueError: unknown suffix (naming it and the allowed ones), a CSV without a header or
            with a repeated header name, or a Parquet column of a type no data table column has.
        FileNotFoundError: `path` does not exist.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValueError(
            f"import source {path.name}: suffix {path.suffix or '(none)'!r} is not supported; "
            f"use one of {', '.join(ALLOWED_SUFFIXES)}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"import source {path} does not exist")
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    if suffix in JSONL_SUFFIXES:
        return _read_jsonl(path)
    return _read_parquet(path)


def _read_csv(path: Path) -> SourceRows:
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    unreadable: list[QuarantineRow] = []
    # utf-8-sig drops a byte-order mark (Excel writes one) instead of gluing it to the first name.
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header or header == [""]:
            raise ValueError(f"import source {path.name}: a CSV file needs a header line")
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise ValueError(
                f"import source {path.name}: header names {repeated} occur more than once"
            )
        width = len(header)
        record = 0
        for cells in reader:
            if not cells:  # a blank line is not a record
                continue
            record += 1
            if len(cells) != width:
                unreadable.append(
                    QuarantineRow(
                        row_number=record,
                        field=None,
                        reason=(
                            f"{REASON_RAGGED}: {len(cells)} field(s), the header has {width} "
                            f"(line {reader.line_num})"
                        ),
                        row_json=json.dumps(cells, ensure_ascii=False),
                    )
                )
                continue
            rows.append(dict(zip(header, cells, strict=True)))
            numbers.append(record)
    return SourceRows(rows, list(header), None, unreadable, numbers)


def _read_jsonl(path: Path) -> SourceRows:
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    unreadable: list[QuarantineRow] = []
    columns: dict[str, None] = {}  # insertion-ordered set
    with open(path, encoding="utf-8-sig") as fh:
        for line_number, line in enumerate(fh, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                reason = f"{REASON_INVALID_JSON}: {exc.msg} at column {exc.colno}"
                unreadable.append(QuarantineRow(line_number, None, reason, json.dumps(text)))
                continue
            if not isinstance(value, dict):
                reason = f"{REASON_NOT_OBJECT}: got {type(value).__name__}"
                unreadable.append(QuarantineRow(line_number, None, reason, json.dumps(text)))
                continue
            columns.update(dict.fromkeys(value))
            rows.append(value)
            numbers.append(line_number)
    return SourceRows(rows, list(columns), None, unreadable, numbers)


def _vendor_type(name: str, dtype: pl.DataType) -> str:
    if dtype == pl.String or dtype == pl.Categorical or dtype == pl.Enum:
        return "string"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if dtype.is_numeric():
        return "number"
    raise ValueError(
        f"column {name!r} is {dtype} in the Parquet file; a data table column is a string, "
        "number, boolean or date"
    )


def _read_parquet(path: Path) -> SourceRows:
    frame = pl.read_parquet(path)
    types = {name: _vendor_type(name, dtype) for name, dtype in frame.schema.items()}
    # Decimals come out as decimal.Decimal and categoricals as their labels; plain Python
    # floats and strings are what the row validation (and JSON) understand.
    casts = [
        pl.col(name).cast(pl.Float64 if types[name] == "number" else pl.String)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal) or dtype in (pl.Categorical, pl.Enum)
    ]
    if casts:
        frame = frame.with_columns(casts)
    return SourceRows(frame.to_dicts(), list(frame.columns), types, [])
