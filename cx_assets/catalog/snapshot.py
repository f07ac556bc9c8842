"""A copy of the catalog for long sessions: `cx-assets catalog snapshot`.

DuckDB lets one process write a file or many read it, never both, so a DuckDB shell left open on
the catalog, even read-only, stalls every run that registers a day (and fails it past the lock
timeout). A snapshot is a separate DuckDB file with every catalog table and view, copied under
one short read lock; open it for as long as you like. Its tables are as of the snapshot; its
views read the lake's Parquet files by their absolute paths, so they show the lake as it is
when queried (a partition replaced since shows its new copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cx_assets.catalog.connection import LOCK_TIMEOUT_S, read_connection
from cx_assets.catalog.views import quote_identifier
from cx_assets.lake.atomic import publish_file, temp_path_for
from cx_assets.lake.sql_text import sql_literal

_ALIAS = "cx_snapshot"


@dataclass(frozen=True)
class Snapshot:
    path: Path
    tables: int
    views: int


def snapshot_catalog(
    catalog_path: Path, output: Path, *, timeout_s: float = LOCK_TIMEOUT_S
) -> Snapshot:
    """Copy the catalog's tables and views into `output` (replaced whole, never half-written).

    Raises:
        CatalogLockTimeout: a writer kept the catalog locked for longer than `timeout_s`.
        ValueError: `output` is the catalog itself.
    """
    output = Path(output).resolve()
    if output == Path(catalog_path).resolve():
        raise ValueError(f"--output {output} is the catalog itself; name another file")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(output)
    try:
        with read_connection(catalog_path, timeout_s=timeout_s) as con:
            row = con.execute("SELECT current_database()").fetchone()
            source = quote_identifier(str(row[0])) if row else "main"
            con.execute(f"ATTACH {sql_literal(tmp)} AS {_ALIAS} (READ_WRITE)")
            try:
                con.execute(f"COPY FROM DATABASE {source} TO {_ALIAS}")
                counts = con.execute(
                    "SELECT count(*) FILTER (WHERE table_type = 'BASE TABLE'), "
                    "count(*) FILTER (WHERE table_type = 'VIEW') "
                    f"FROM information_schema.tables WHERE table_catalog = '{_ALIAS}'"
                ).fetchone()
            finally:
                con.execute(f"DETACH {_ALIAS}")
        publish_file(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    tables, views = counts if counts else (0, 0)
    return Snapshot(output, int(tables), int(views))
