"""An export CSV of a platform data table, typed by the table's schema into Parquet, streaming.

The export format is UNVERIFIED (docs: the emulator's choice), so it is read tolerantly: UTF-8
with or without a BOM, RFC 4180 quoting (commas, quotes and newlines inside a cell), CRLF or LF,
a header mapped to properties by API name first, then by title. Every column is read as text
and converted by the schema's type, never inferred: an empty cell is null; a boolean is
`true`/`false` in any case or `1`/`0`; an integer is int64 (`3` or `3.0`, never `1.5`); a number
is a finite float64. A cell that does not convert is not nulled: its row goes to the quarantine
list (row number, field, reason, the raw values) and the other rows go on. A row without a key
is quarantined too.

Streaming: Python's `csv` reader (exact RFC 4180 records, row numbers that match the file's)
hands batches of `batch_rows` records to polars, which types each batch with expressions and
feeds it to `sink_parquet` through an IO-source plugin, so memory stays flat in the file's size
(polars' own `scan_csv` buffered the whole file here: measured ~1.8x the file's size). The
Parquet is published atomically. A row with more or fewer cells than the header is quarantined.
A file that cannot be read at all (no header, no `key` column, a header naming one property
twice, not UTF-8, broken quoting) is a `CsvFormatError` naming the table and the file.
"""

from __future__ import annotations

import csv
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from polars.io.plugins import register_io_source

from cx_assets.genesys.datatables.platform_schema import Column, QuarantinedRow, TableColumns
from cx_assets.lake.atomic import publish_file, temp_path_for

log = logging.getLogger(__name__)

ROW = "__cx_row_number__"
_FIELD, _REASON = "__cx_field__", "__cx_reason__"
_SHOWN_CHARS = 60
_INTEGER = r"^[+-]?\d+(?:\.0*)?$"
_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "boolean": pl.Boolean(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
}


class CsvFormatError(ValueError):
    """The file cannot be read as the table's CSV at all; nothing was written."""


@dataclass(frozen=True)
class ParsedExport:
    """What `export_csv_to_parquet` wrote: `rows` good rows in `path`; `quarantined` rows in
    file order; `header` pairs each CSV header cell with the property it was read as (None:
    not a property, ignored); `missing_columns` are properties the file lacked (all null)."""

    path: Path
    rows: int
    quarantined: list[QuarantinedRow]
    header: tuple[tuple[str, str | None], ...]
    missing_columns: tuple[str, ...]

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        return tuple(cell for cell, name in self.header if name is None)


def read_header(path: Path, table: TableColumns) -> tuple[list[str], list[Column | None]]:
    """The header's cells, each mapped to a column (by name, then by title in any case; None:
    unknown)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            cells = next(csv.reader(fh), None)
        except (csv.Error, UnicodeDecodeError) as exc:
            message = f"{table.describe()}: {path.name} header unreadable: {exc}"
            raise CsvFormatError(message) from None
    if not cells:
        raise CsvFormatError(f"{table.describe()}: {path.name} is empty (no header line)")
    by_name = table.by_name()
    by_title = {title.casefold(): c for title, c in table.by_title().items()}
    mapped: list[Column | None] = []
    seen: dict[str, str] = {}
    for cell in cells:
        text = cell.strip()
        column = by_name.get(text) or by_title.get(text.casefold())
        if column is not None:
            if column.name in seen:
                raise CsvFormatError(
                    f"{table.describe()}: {path.name} header names property {column.name!r} "
                    f"twice ({seen[column.name]!r} and {cell!r})"
                )
            seen[column.name] = cell
        mapped.append(column)
    if table.key.name not in seen:
        raise CsvFormatError(
            f"{table.describe()}: {path.name} has no {table.key.name!r} column (header: "
            f"{', '.join(repr(c) for c in cells[:12])})"
        )
    return cells, mapped


def export_csv_to_parquet(
    csv_path: Path, table: TableColumns, out_path: Path, *, batch_rows: int = 10_000
) -> ParsedExport:
    """Type `csv_path` by `table` into `out_path` (atomically, one row group per batch of
    `batch_rows` records) and list the quarantined rows."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    cells, header = read_header(csv_path, table)
    present = {c.name for c in header if c}
    schema = {c.name: POLARS_TYPES[c.type] for c in table.columns}
    quarantined: list[QuarantinedRow] = []
    failures: list[Exception] = []
    batches = _batches(csv_path, table, header, batch_rows, quarantined, failures)

    def source(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, _: Any
    ) -> Iterator[pl.DataFrame]:
        for frame in batches:
            frame = frame if with_columns is None else frame.select(with_columns)
            yield frame if predicate is None else frame.filter(predicate)

    tmp = temp_path_for(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        lazy = register_io_source(source, schema=schema)
        lazy.sink_parquet(tmp, row_group_size=batch_rows)
        if failures:
            raise CsvFormatError(
                f"{table.describe()}: {csv_path.name} unreadable: {failures[0]}"
            ) from None
        rows = pl.scan_parquet(tmp).select(pl.len()).collect().item()
        publish_file(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if quarantined:
        log.warning("%s: %d row(s) quarantined", table.describe(), len(quarantined))
    return ParsedExport(
        path=out_path,
        rows=rows,
        quarantined=quarantined,
        header=tuple((cell, c.name if c else None) for cell, c in zip(cells, header, strict=True)),
        missing_columns=tuple(c.name for c in table.columns if c.name not in present),
    )


def _batches(
    path: Path,
    table: TableColumns,
    header: list[Column | None],
    batch_rows: int,
    quarantined: list[QuarantinedRow],
    failures: list[Exception],
) -> Iterator[pl.DataFrame]:
    """The good rows typed, `batch_rows` records at a time; refused rows to `quarantined`, a
    file that breaks off (not UTF-8, broken quoting) to `failures` (raised after the sink)."""
    width = len(header)
    mapped = [(i, c) for i, c in enumerate(header) if c]
    checks = [_check(c) for _, c in mapped]
    flag = [
        pl.coalesce([when for when, _ in checks]).alias(_FIELD),
        pl.concat_str([why for _, why in checks], separator="; ", ignore_nulls=True).alias(_REASON),
    ]
    typed = [
        _typed(c)
        if any(m.name == c.name for _, m in mapped)
        else pl.lit(None, POLARS_TYPES[c.type])
        for c in table.columns
    ]
    typed = [expr.alias(c.name) for expr, c in zip(typed, table.columns, strict=True)]
    schema = {ROW: pl.Int64(), **{c.name: pl.String() for _, c in mapped}}
    number = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            records = csv.reader(fh)
            next(records, None)  # the header, read by read_header
            while chunk := list(itertools.islice(records, batch_rows)):
                columns: dict[str, list[Any]] = {name: [] for name in schema}
                ragged: list[QuarantinedRow] = []
                for record in chunk:
                    if not record:
                        continue  # a blank line is no record
                    number += 1
                    if len(record) != width:
                        ragged.append(_ragged(number, record, width, header, table))
                        continue
                    columns[ROW].append(number)
                    for i, c in mapped:
                        columns[c.name].append(record[i] if record[i] != "" else None)
                frame = pl.DataFrame(columns, schema=schema).with_columns(flag)
                refused = frame.filter(pl.col(_FIELD).is_not_null())
                ragged += (_quarantined(r, table.key.name) for r in refused.iter_rows(named=True))
                quarantined.extend(sorted(ragged, key=lambda q: q.row_number))  # file order
                yield frame.filter(pl.col(_FIELD).is_null()).select(typed)
    except (UnicodeDecodeError, csv.Error) as exc:
        failures.append(exc)


def _ragged(
    number: int, record: list[str], width: int, header: list[Column | None], table: TableColumns
) -> QuarantinedRow:
    row = {c.name: (record[i] if i < len(record) else None) for i, c in enumerate(header) if c}
    key = row.get(table.key.name)
    return QuarantinedRow(
        row_number=number,
        key=key or None,
        field=None,
        reason=f"the row has {len(record)} cell(s), the header {width}",
        row=row,
    )


def _text(column: Column) -> pl.Expr:
    return pl.col(column.name).str.strip_chars()


def _typed(column: Column) -> pl.Expr:
    """The cell as the column's type; null when empty or when it does not convert."""
    raw, text = pl.col(column.name), _text(column)
    if column.type == "string":
        return raw.alias(column.name)
    if column.type == "boolean":
        lower = text.str.to_lowercase()
        value = (
            pl.when(lower.is_in(["true", "1"]))
            .then(pl.lit(True))
            .when(lower.is_in(["false", "0"]))
            .then(pl.lit(False))
            .otherwise(pl.lit(None, pl.Boolean))
        )
        return value.alias(column.name)
    if column.type == "integer":
        whole = text.str.replace(r"\.0*$", "").cast(pl.Int64, strict=False)
        return pl.when(text.str.contains(_INTEGER)).then(whole).alias(column.name)
    number = text.cast(pl.Float64, strict=False)
    finite = pl.when(number.is_finite()).then(number)
    return pl.when(text.str.contains(_NUMBER)).then(finite).alias(column.name)


def _check(column: Column) -> tuple[pl.Expr, pl.Expr]:
    """(the field's name where the cell is bad, else null; the reason, else null)."""
    raw = pl.col(column.name)
    if column.is_key:
        bad = raw.is_null() | (raw.str.strip_chars() == "")
        why = pl.lit(f"field '{column.name}': the key is empty")
    else:
        given = raw.is_not_null() & (raw.str.strip_chars() != "")
        bad = given & _typed(column).is_null()
        why = pl.concat_str(
            pl.lit(f"field '{column.name}': expected {_expected(column)}, got '"),
            raw.str.slice(0, _SHOWN_CHARS),
            pl.lit("'"),
        )
    return pl.when(bad).then(pl.lit(column.name)), pl.when(bad).then(why)


def _expected(column: Column) -> str:
    return {
        "boolean": "boolean (true/false or 1/0)",
        "integer": "integer (int64, no fraction)",
        "number": "number (finite decimal)",
    }.get(column.type, column.type)


def _quarantined(row: dict, key_name: str) -> QuarantinedRow:
    number, field, reason = row.pop(ROW), row.pop(_FIELD), row.pop(_REASON)
    key = row.get(key_name)
    return QuarantinedRow(
        row_number=int(number), key=key or None, field=field, reason=reason, row=row
    )
