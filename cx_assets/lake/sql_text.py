"""SQL text for statements DuckDB cannot parameterise (COPY … TO, views, table functions)."""

from __future__ import annotations

from pathlib import Path


def sql_literal(value: str | Path) -> str:
    """A single-quoted SQL string literal (quotes doubled); for paths and names we chose."""
    text = value.as_posix() if isinstance(value, Path) else value
    return "'" + text.replace("'", "''") + "'"
