"""One UTC day of CXone interactions, built page by page on disk and published whole.

A day's records arrive a page at a time (up to 10K per page in platform mode; tutorial exports
mix up to 90 days in their pages). `DayBuilder.add` turns a page's records into rows and writes
them at once as a small Parquet chunk in the run's staging folder, so memory holds one page,
never a day or a run. `publish` then writes the day's one file from its chunks with DuckDB
(bounded memory, spills to disk), keeping one row per interaction id: the newest
`last_update_time` wins, and on a tie the later source (a newer pull over the stored day, a
later page over an earlier one). With `base` (the day's current file) it is a merge: the late
updates of an `updatedSince` pull replace their rows and the rest stays.

The day's integrity is measured on the published file itself (required columns that are null),
so a merge or a de-duplication can never make it drift from what a query sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cx_assets.lake.atomic import publish_file, temp_path_for
from cx_assets.lake.cxone_columns import INTERACTION_COLUMNS, SCHEMA, RecordMapping
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.sql_text import sql_literal
from cx_assets.lake.verified_download import sha256_file

SOURCE = "cxone"
DATASET = "interactions"
PART_FILE = "part.parquet"
#: The catalog view over these files (a schema-qualified name) and its glob under the lake root.
VIEW_NAME = "cxone.interactions"
VIEW_GLOB = f"{SOURCE}/{DATASET}/date=*/*.parquet"
#: DuckDB's memory for building one day: far above a day of 100K contacts, and it spills beyond.
BUILD_MEMORY_LIMIT = "256MB"


def day_path(layout: DataLayout, day: dt.date) -> Path:
    """`lake/cxone/interactions/date=YYYY-MM-DD/part.parquet`."""
    return layout.lake_partition_dir(SOURCE, DATASET, day) / PART_FILE


@dataclass(frozen=True)
class DayAlignment:
    """How complete a day's rows are: `valid` rows have every required field usable."""

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


@dataclass(frozen=True)
class WrittenDay:
    """A published day file: where, how many rows, how big, its SHA-256."""

    day: dt.date
    path: Path
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class BuiltDay:
    """A published day and what building it did."""

    written: WrittenDay
    alignment: DayAlignment
    #: Records this pull added to the day (pages' records, before de-duplication).
    received: int
    #: Rows of the stored day that the pull's newer records replaced (a merge only).
    replaced: int
    #: Records the pull served more than once (a page boundary moved, a retried page).
    duplicates: int
    merged: bool
    #: Rows the file must hold: the stored rows, plus each distinct new id, less those replaced.
    expected_rows: int


@dataclass
class DayBuilder:
    """Collects one day's rows as chunk files under `staging`, then publishes the day."""

    layout: DataLayout
    day: dt.date
    mapping: RecordMapping
    staging: Path
    received: int = 0
    _chunks: list[Path] = field(default_factory=list)

    def add(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Write `records` (of this day) as one chunk; returns how many."""
        rows = [self.mapping.row(r) for r in records]
        if not rows:
            return 0
        self.staging.mkdir(parents=True, exist_ok=True)
        chunk = self.staging / f"chunk-{len(self._chunks):06d}.parquet"
        pl.DataFrame(rows, schema=SCHEMA, orient="row").write_parquet(chunk, compression="lz4")
        self._chunks.append(chunk)
        self.received += len(rows)
        return len(rows)

    def publish(self, base: Path | None = None) -> BuiltDay:
        """Write the day's file from its chunks (over `base` when merging) and swap it in."""
        final = day_path(self.layout, self.day)
        final.parent.mkdir(parents=True, exist_ok=True)
        base_rows = count_rows(base) if base is not None else 0  # before `base` may be replaced
        tmp = temp_path_for(final)
        try:
            with _engine(self.staging) as con:
                inputs = self._inputs(con, base)
                replaced = _replaced(con, base) if base is not None and self._chunks else 0
                distinct = _distinct_new(con) if self._chunks else 0
                copy = f"COPY ({_deduplicated(inputs)}) TO ? (FORMAT parquet, COMPRESSION zstd)"
                con.execute(copy, [str(tmp)])
                rows = con.execute(
                    "SELECT count(*) FROM read_parquet(?, hive_partitioning = false)", [str(tmp)]
                ).fetchone()
                alignment = _alignment(con, tmp, self.day, self.mapping)
            digest, size = sha256_file(tmp), tmp.stat().st_size
            publish_file(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        total = int(rows[0]) if rows else 0
        return BuiltDay(
            written=WrittenDay(self.day, final, total, size, digest),
            alignment=alignment,
            received=self.received,
            replaced=replaced,
            duplicates=self.received - distinct,
            merged=base is not None,
            expected_rows=base_rows + distinct - replaced,
        )

    def _inputs(self, con: duckdb.DuckDBPyConnection, base: Path | None) -> str:
        """A SQL relation of every input row with its `_source` rank (higher = newer)."""
        columns = _select_list(set(SCHEMA))
        parts = []
        if base is not None:
            con.execute(
                "CREATE TEMP VIEW base_rows AS SELECT * "
                f"FROM read_parquet({sql_literal(base)}, hive_partitioning = false)"
            )
            # A day stored before a column existed lacks it: the column reads as null there.
            stored = {row[0] for row in con.execute("DESCRIBE base_rows").fetchall()}
            parts.append(f"SELECT {_select_list(stored)}, 0 AS _source FROM base_rows")
        if self._chunks:
            files = ", ".join(sql_literal(c) for c in self._chunks)
            con.execute(
                "CREATE TEMP VIEW new_rows AS SELECT *, "
                "1 + CAST(regexp_extract(filename, 'chunk-(\\d+)', 1) AS BIGINT) AS _source "
                f"FROM read_parquet([{files}], filename = true)"
            )
            parts.append(f"SELECT {columns}, _source FROM new_rows")
        if not parts:
            parts.append(f"SELECT {_select_list(set())}, 0 AS _source WHERE false")
        return " UNION ALL ".join(parts)


def _select_list(present: set[str]) -> str:
    """Every schema column cast to its type, in file order; null where not `present`."""
    return ", ".join(
        f"CAST({name if name in present else 'NULL'} AS {typ}) AS {name}"
        for name, typ, _ in INTERACTION_COLUMNS
    )


def _deduplicated(inputs: str) -> str:
    names = ", ".join(name for name, _, _ in INTERACTION_COLUMNS)
    return (
        f"SELECT {names} FROM (SELECT *, row_number() OVER (PARTITION BY id "
        "ORDER BY last_update_time DESC NULLS LAST, _source DESC) AS _rank "
        f"FROM ({inputs})) WHERE id IS NULL OR _rank = 1 ORDER BY start_time NULLS LAST, id"
    )


def _replaced(con: duckdb.DuckDBPyConnection, base: Path) -> int:
    """Stored rows whose id the pull served again (those the newer record replaces)."""
    row = con.execute(
        "SELECT count(DISTINCT id) FROM base_rows WHERE id IN (SELECT id FROM new_rows)"
    ).fetchone()
    return int(row[0]) if row else 0


def _distinct_new(con: duckdb.DuckDBPyConnection) -> int:
    """Distinct interactions the pull served (a record without an id counts on its own)."""
    row = con.execute(
        "SELECT count(DISTINCT id) + count(*) FILTER (WHERE id IS NULL) FROM new_rows"
    ).fetchone()
    return int(row[0]) if row else 0


def _alignment(
    con: duckdb.DuckDBPyConnection, path: Path, day: dt.date, mapping: RecordMapping
) -> DayAlignment:
    required = list(mapping.required.items())
    nulls = ", ".join(f"count(*) - count({column})" for _, column in required)
    complete = " AND ".join(f"{column} IS NOT NULL" for _, column in required)
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {complete}), {nulls} "
        "FROM read_parquet(?, hive_partitioning = false)",
        [str(path)],
    ).fetchone()
    assert row is not None
    total, valid = int(row[0]), int(row[1])
    missing = {name: int(n) for (name, _), n in zip(required, row[2:], strict=True)}
    return DayAlignment(day, total, valid, valid / total if total else 1.0, missing)


class _engine:
    """An in-memory DuckDB for one build: bounded memory, spilling under the run's staging."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.staging.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(
            config={
                "memory_limit": BUILD_MEMORY_LIMIT,
                "threads": 2,
                "temp_directory": str(self.staging / "spill"),
                "preserve_insertion_order": False,
            }
        )
        self.con.execute("SET TimeZone = 'UTC'")
        return self.con

    def __exit__(self, *exc: object) -> None:
        self.con.close()


def count_rows(path: Path) -> int:
    """Rows in a day file as it is on disk now."""
    return pl.scan_parquet(path, hive_partitioning=False).select(pl.len()).collect().item()
