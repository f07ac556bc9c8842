"""Read back what a Parquet file really holds, so checks compare it with the declared schema."""

from __future__ import annotations

from pathlib import Path

import duckdb

# DuckDB spells some types two ways; compare canonical spellings.
_ALIASES = {
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "INT8": "BIGINT",
    "STRING": "VARCHAR",
    "TEXT": "VARCHAR",
    "BOOL": "BOOLEAN",
}


def canonical_type(name: str) -> str:
    upper = name.strip().upper()
    return _ALIASES.get(upper, upper)


def parquet_columns(path: Path) -> list[tuple[str, str]]:
    """(column, canonical DuckDB type) in file order, read with an in-memory DuckDB."""
    with duckdb.connect() as con:
        # hive_partitioning off: the `date=` folder must not pass for a column of the file.
        sql = "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)"
        rows = con.execute(sql, [str(path)]).fetchall()
    return [(str(r[0]), canonical_type(str(r[1]))) for r in rows]


def parquet_row_count(path: Path) -> int:
    """Rows according to the file's footer (no data pages read)."""
    with duckdb.connect() as con:
        row = con.execute("SELECT num_rows FROM parquet_file_metadata(?)", [str(path)]).fetchone()
    return int(row[0]) if row else 0


def schema_differences(actual: list[tuple[str, str]], expected: list[tuple[str, str]]) -> list[str]:
    """Human-readable differences between two (name, type) lists; empty when they conform."""
    problems: list[str] = []
    actual_map = dict(actual)
    expected_map = {name: canonical_type(t) for name, t in expected}
    for name, typ in expected_map.items():
        if name not in actual_map:
            problems.append(f"missing column {name} ({typ})")
        elif actual_map[name] != typ:
            problems.append(f"column {name} is {actual_map[name]}, expected {typ}")
    problems.extend(
        f"unexpected column {name} ({typ})" for name, typ in actual if name not in expected_map
    )
    if not problems and [n for n, _ in actual] != list(expected_map):
        problems.append("columns are in a different order than declared")
    return problems


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duplicate_key_count(path: Path, key: list[str]) -> int:
    """How many key values occur more than once in the file (0 for a clean primary key)."""
    if not key:
        raise ValueError("a primary key needs at least one column")
    columns = ", ".join(_quote(k) for k in key)
    sql = (
        f"SELECT count(*) FROM (SELECT {columns} FROM read_parquet(?, hive_partitioning = false) "
        "GROUP BY ALL HAVING count(*) > 1)"
    )
    with duckdb.connect() as con:
        row = con.execute(sql, [str(path)]).fetchone()
    return int(row[0]) if row else 0
