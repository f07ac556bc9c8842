"""One DuckDB view per data table over all its snapshot days, named from the table's name.

`datatables.<slug of its name>` reads every day's snapshot file of the table with a
`snapshot_date` column first; `datatable_views` remembers which view belongs to which table (first
come, first served) and `datatables.snapshot_index` lists every snapshot with its view. Table
names come from the vendor and only ever become a slug of `[a-z0-9_]`; ids are validated before
they reach a path, and both are passed to SQL as parameters or quoted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb

from cx_assets.catalog.connection import LOCK_TIMEOUT_S, default_lake_root, write_transaction
from cx_assets.catalog.datatable_tables import INDEX_VIEW, VIEW_SCHEMA
from cx_assets.catalog.views import quote_identifier
from cx_assets.lake.datatables import SNAPSHOT_DATASET, SNAPSHOT_FILE, SOURCE
from cx_assets.lake.paths import validate_token
from cx_assets.lake.sql_text import sql_literal

SNAPSHOT_DATE_COLUMN = "snapshot_date"

_FILE_COLUMN = "__cx_snapshot_file"  # the Parquet reader's filename column, dropped by the view
_SLUG_MAX = 60
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DAY_IN_PATH = r"date=([0-9]{4}-[0-9]{2}-[0-9]{2})"


def slugify(table_name: str) -> str:
    """A view name from a table name: lowercase, runs of anything but a-z0-9 -> '_'.

    Empty results become `unnamed`; a leading digit gets a `t_` prefix; at most 60 characters.
    """
    slug = _NON_ALNUM.sub("_", table_name.lower()).strip("_")[:_SLUG_MAX].rstrip("_")
    if not slug:
        return "unnamed"
    return f"t_{slug}" if slug[0].isdigit() else slug


def _reserved(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'"
    ).fetchall()
    return {str(r[0]).lower() for r in rows} | {INDEX_VIEW}


def _choose_view_name(con: duckdb.DuckDBPyConnection, table_id: str, table_name: str) -> str:
    """First come, first served: the bare slug, else suffixed by the id, else by its hash."""
    slug = slugify(table_name)
    if slug in _reserved(con):
        slug = f"t_{slug}"
    current = con.execute(
        "SELECT view_name, table_name FROM datatable_views WHERE table_id = ?", [table_id]
    ).fetchone()
    if current is not None and slugify(current[1]) == slugify(table_name):
        return str(current[0])
    taken = {
        str(name)
        for (name,) in con.execute(
            "SELECT view_name FROM datatable_views WHERE table_id <> ?", [table_id]
        ).fetchall()
    }
    candidates = (
        slug,
        f"{slug}_{_NON_ALNUM.sub('_', table_id.lower())[:8].strip('_')}",
        f"{slug}_{hashlib.sha256(table_id.encode()).hexdigest()[:16]}",
    )
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free view name for data table {table_id} ({table_name!r})")


def snapshot_glob(lake_root: Path, table_id: str) -> Path:
    """Every day's snapshot file of a table under the lake root."""
    table_dir = f"table_id={validate_token(table_id, 'table id')}"
    return lake_root / SOURCE / SNAPSHOT_DATASET / table_dir / "date=*" / SNAPSHOT_FILE


def _table_view_sql(view_name: str, pattern: Path) -> str:
    file_col = quote_identifier(_FILE_COLUMN)
    return (
        f"CREATE OR REPLACE VIEW {VIEW_SCHEMA}.{quote_identifier(view_name)} AS "
        f"SELECT CAST(regexp_extract({file_col}, '{_DAY_IN_PATH}', 1) AS DATE) "
        f"AS {SNAPSHOT_DATE_COLUMN}, * EXCLUDE ({file_col}) "
        f"FROM read_parquet({sql_literal(pattern.as_posix())}, hive_partitioning = false, "
        f"union_by_name = true, filename = {sql_literal(_FILE_COLUMN)})"
    )


def register_table_view(
    catalog_path: Path | str,
    table_id: str,
    table_name: str,
    lake_root: Path | None = None,
    *,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> str:
    """Create or refresh the table's view over all its snapshot days; returns its qualified name.

    The view is `datatables.<slug>` (see `slugify`) with `snapshot_date` first, then the vendor
    columns (union by name, so a column added later reads as NULL on earlier days). A second
    table whose name has the same slug gets `<slug>_<first 8 of its id>`; a renamed table moves
    to its new name and the old view is dropped. `lake_root` is the lake (`<data root>/lake`),
    by default the one beside the catalog.

    Raises:
        ValueError: the table id is unsafe, or no snapshot file exists for it under `lake_root`.
    """
    lake_root = Path(lake_root or default_lake_root(catalog_path)).resolve()
    pattern = snapshot_glob(lake_root, table_id)
    if not any(pattern.parent.parent.glob(f"{pattern.parent.name}/{pattern.name}")):
        raise ValueError(
            f"no snapshot of data table {table_id} under {lake_root} (looked for {pattern}); "
            "write one first, and pass the lake root (<data root>/lake) as lake_root"
        )
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        view_name = _choose_view_name(con, table_id, table_name)
        old = con.execute(
            "SELECT view_name FROM datatable_views WHERE table_id = ?", [table_id]
        ).fetchone()
        if old is not None and old[0] != view_name:
            con.execute(f"DROP VIEW IF EXISTS {VIEW_SCHEMA}.{quote_identifier(str(old[0]))}")
        if old is None or old[0] != view_name:
            con.execute("DELETE FROM datatable_views WHERE table_id = ?", [table_id])
            con.execute(
                "INSERT INTO datatable_views (table_id, view_name, table_name, created_at) "
                "VALUES (?, ?, ?, ?)",
                [table_id, view_name, table_name, dt.datetime.now(dt.UTC)],
            )
        else:
            con.execute(
                "UPDATE datatable_views SET table_name = ? WHERE table_id = ?",
                [table_name, table_id],
            )
        con.execute(_table_view_sql(view_name, pattern))
    return f"{VIEW_SCHEMA}.{view_name}"
