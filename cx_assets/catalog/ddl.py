"""The two statements every catalog table module writes: create a table, add later columns."""

from __future__ import annotations

Columns = tuple[tuple[str, str], ...]


def table_ddl(name: str, columns: Columns, key: str | None) -> str:
    """`CREATE TABLE IF NOT EXISTS` with `columns` (name, type) and an optional primary key."""
    body = ",\n    ".join(f"{col} {typ}" for col, typ in columns)
    if key:
        body += f",\n    PRIMARY KEY ({key})"
    return f"CREATE TABLE IF NOT EXISTS {name} (\n    {body}\n)"


def added_columns(table: str, columns: Columns) -> tuple[str, ...]:
    """Columns added after a table first shipped, added in place to an older catalog."""
    return tuple(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {c} {t}" for c, t in columns)
