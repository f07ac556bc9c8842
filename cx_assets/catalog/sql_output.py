"""Ad-hoc SQL on the catalog for people: run a statement, show it as a table, write it out.

Read-only by default (a read-only DuckDB connection refuses any write); `write=True` runs the
statement in one short write transaction. Results are written as CSV, JSON (an array of objects)
or Parquet; the file appears only once complete (temp name + rename).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import uuid
from pathlib import Path
from typing import Any, Literal

import polars as pl

from cx_assets.catalog.connection import LOCK_TIMEOUT_S, read_connection, write_transaction
from cx_assets.catalog.queries import QueryResult
from cx_assets.lake.atomic import atomic_write, publish_file, temp_path_for
from cx_assets.lake.sql_text import sql_literal

Format = Literal["csv", "json", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "json", "parquet")
DEFAULT_MAX_ROWS = 100
_MAX_CELL = 60


def run_sql(
    catalog_path: Path | str, sql: str, *, write: bool = False, timeout_s: float = LOCK_TIMEOUT_S
) -> QueryResult:
    """Run one statement. Read-only unless `write`; a missing catalog is set up first.

    Raises:
        duckdb.Error: the statement failed (its message says why; in read-only mode a write
            fails with DuckDB's "read-only mode" error).
    """
    if write:
        with write_transaction(catalog_path, timeout_s=timeout_s) as con:
            return _fetch(con.execute(sql))
    with read_connection(catalog_path, timeout_s=timeout_s) as con:
        return _fetch(con.execute(sql))


def _fetch(cursor: Any) -> QueryResult:
    if cursor.description is None:  # a statement without a result set
        return QueryResult((), [])
    return QueryResult(tuple(d[0] for d in cursor.description), cursor.fetchall())


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def render_table(result: QueryResult, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """A boxed plain-text table, numbers right-aligned, long cells cut, with a row count.

    Hand-written: a dozen lines, and it keeps the CLI free of a terminal-table dependency.
    """
    if not result.columns:
        return "(statement executed; no result set)"
    shown = result.rows[:max_rows]
    cells = [[_cell(v) for v in row] for row in shown]
    numeric = [
        all(
            isinstance(row[i], int | float | decimal.Decimal) for row in shown if row[i] is not None
        )
        and any(row[i] is not None for row in shown)
        for i in range(len(result.columns))
    ]
    widths = [
        max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(result.columns)
    ]

    def line(values: list[str], align: list[bool]) -> str:
        parts = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, align, strict=True)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    out = [rule, line(list(result.columns), [False] * len(widths)), rule]
    out += [line(row, numeric) for row in cells]
    out.append(rule)
    total = len(result.rows)
    plural = "row" if total == 1 else "rows"
    more = f", first {max_rows} shown" if total > max_rows else ""
    out.append(f"({total} {plural}{more})")
    return "\n".join(out)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def to_csv(result: QueryResult) -> str:
    """RFC 4180 CSV with a header; NULL is an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else _json_value(v) for v in row])
    return buffer.getvalue()


def to_json(result: QueryResult) -> str:
    """An array of objects, one per row; dates and timestamps as ISO 8601."""
    rows = [
        {c: _json_value(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows
    ]
    return json.dumps(rows, ensure_ascii=False, default=str, indent=1) + "\n"


def to_frame(result: QueryResult) -> pl.DataFrame:
    """The result as a polars frame; types inferred from every row (no value is dropped)."""
    columns = list(result.columns)
    if len(set(columns)) != len(columns):
        raise ValueError(f"result has repeated column names {columns}: alias them in the query")
    return pl.DataFrame(result.rows, schema=columns, orient="row", infer_schema_length=None)


def copy_to_parquet(
    catalog_path: Path | str, sql: str, path: Path | str, *, timeout_s: float = LOCK_TIMEOUT_S
) -> int:
    """Stream a read-only query's result into Parquet with DuckDB's own writer; returns rows.

    DuckDB's types are kept exactly and the rows never pass through Python, so exporting a
    whole dataset costs no more memory than DuckDB's buffers. Written to a temp name in the
    same folder and renamed, so the file appears only once complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    try:
        with read_connection(catalog_path, timeout_s=timeout_s) as con:
            row = con.execute(
                f"COPY ({sql.strip().rstrip(';')}) TO {sql_literal(str(tmp))} (FORMAT parquet)"
            ).fetchone()
        publish_file(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return int(row[0]) if row and row[0] is not None else 0


def write_result(result: QueryResult, path: Path | str, fmt: Format) -> Path:
    """Write `result` to `path` as `fmt` atomically; returns the path written."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not supported: use one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as out:
        if fmt == "csv":
            out.write(to_csv(result).encode("utf-8"))
        elif fmt == "json":
            out.write(to_json(result).encode("utf-8"))
        else:
            to_frame(result).write_parquet(out)
    return path
