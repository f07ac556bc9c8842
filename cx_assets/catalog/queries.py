"""Read-only access to the catalog for the Dagster layer, the CLI, the demo and tests.

Every helper opens a read-only connection for one query and closes it, so readers never keep a
writer waiting for longer than a query takes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.catalog.audit import ChainReport, verify_chain
from cx_assets.catalog.connection import LOCK_TIMEOUT_S, read_connection
from cx_assets.catalog.conversations import ExportRecord, FileRecord
from cx_assets.catalog.schema import EXPORT_COLUMNS, FILE_COLUMNS

_PARTITION = "source = ? AND dataset = ? AND partition_key = ?"


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query with their column names."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def query(
    catalog_path: Path | str,
    sql: str,
    params: Sequence[Any] | dict[str, Any] | None = None,
    *,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> QueryResult:
    """Run one read-only statement; pass outside values as `params`, never inside `sql`."""
    with read_connection(catalog_path, timeout_s=timeout_s) as con:
        cursor = con.execute(sql, params)
        columns = tuple(d[0] for d in cursor.description or ())
        return QueryResult(columns, cursor.fetchall())


def export_for(
    catalog_path: Path | str, *, source: str, dataset: str, partition_key: str
) -> ExportRecord | None:
    """The partition's current export, or None if it was never registered."""
    names = ", ".join(c for c, _ in EXPORT_COLUMNS)
    result = query(
        catalog_path,
        f"SELECT {names} FROM exports WHERE {_PARTITION}",
        [source, dataset, partition_key],
    )
    if not result.rows:
        return None
    row = result.as_dicts()[0]
    row["request_stats"] = json.loads(row["request_stats"] or "{}")
    return ExportRecord(**row)


def files_for(
    catalog_path: Path | str, *, source: str, dataset: str, partition_key: str
) -> list[FileRecord]:
    """The files of the partition's current export, by name."""
    names = ", ".join(c for c, _ in FILE_COLUMNS)
    result = query(
        catalog_path,
        f"SELECT {names} FROM export_files WHERE {_PARTITION} ORDER BY name",
        [source, dataset, partition_key],
    )
    return [FileRecord(**row) for row in result.as_dicts()]


def audit_chain(catalog_path: Path | str, *, timeout_s: float = LOCK_TIMEOUT_S) -> ChainReport:
    """Verify the audit log's hash chain (see `audit.verify_chain`)."""
    with read_connection(catalog_path, timeout_s=timeout_s) as con:
        return verify_chain(con)
