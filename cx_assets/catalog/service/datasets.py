"""The catalog service's datasets: the catalog's views, their schema, partitions and files.

Datasets are the catalog's views; their Parquet files come from the `read_parquet('…')` pattern
in each view's own SQL, so whatever a flow registers is served without this module knowing the
flow. A view named for privacy, or reading files under `<data root>/privacy`, is never served.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cx_assets.catalog.service.filters import Filters, in_privacy_area, parse_day, private

_PATTERN_IN_VIEW = re.compile(r"read_parquet\(\s*'((?:[^']|'')*)'")
_DAY_IN_PATH = re.compile(r"date=(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class _View:
    name: str
    schema: str
    view: str
    pattern: str | None


def _views(con: duckdb.DuckDBPyConnection, data_root: Path) -> list[_View]:
    rows = con.execute(
        "SELECT schema_name, view_name, sql FROM duckdb_views() "
        "WHERE NOT internal AND database_name = current_database() ORDER BY 1, 2"
    ).fetchall()
    out = []
    for schema, view, sql in rows:
        # The catalog wrote these views itself (views.py, datatables.py), always as
        # read_parquet('<absolute glob>', …): reading the literal back avoids a second registry.
        match = _PATTERN_IN_VIEW.search(sql or "")
        pattern = match.group(1).replace("''", "'") if match else None
        name = view if schema == "main" else f"{schema}.{view}"
        if private(schema, view) or in_privacy_area(pattern, data_root):
            continue
        out.append(_View(name, schema, view, pattern))
    return out


def _source_of(pattern: str | None, data_root: Path) -> str | None:
    if not pattern:
        return None
    try:
        relative = Path(pattern).relative_to(data_root.resolve() / "lake")
    except ValueError:
        return None
    return relative.parts[0] if relative.parts else None


def _files(con: duckdb.DuckDBPyConnection, pattern: str | None) -> list[dict[str, Any]]:
    if not pattern:
        return []
    paths = sorted(glob.glob(pattern))
    if not paths:
        return []
    counts = dict(
        con.execute("SELECT file_name, num_rows FROM parquet_file_metadata(?)", [paths]).fetchall()
    )
    return [
        {
            "path": p,
            "size": Path(p).stat().st_size,
            "row_count": int(counts.get(p, 0)),
            "partition": m.group(1) if (m := _DAY_IN_PATH.search(p)) else None,
        }
        for p in paths
    ]


def _columns(con: duckdb.DuckDBPyConnection, view: _View) -> list[dict[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [view.schema, view.view],
    ).fetchall()
    return [{"name": name, "type": typ} for name, typ in rows]


def _partitions(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key: dict[str | None, dict[str, Any]] = {}
    for f in files:
        entry = by_key.setdefault(
            f["partition"], {"partition": f["partition"], "row_count": 0, "files": []}
        )
        entry["row_count"] += f["row_count"]
        entry["files"].append({"path": f["path"], "size": f["size"], "row_count": f["row_count"]})
    return sorted(by_key.values(), key=lambda p: p["partition"] or "")


def _filtered(files: list[dict[str, Any]], filters: Filters) -> list[dict[str, Any]]:
    return [f for f in files if filters.day_ok(parse_day(f["partition"]))]


def list_datasets(
    con: duckdb.DuckDBPyConnection, filters: Filters, data_root: Path
) -> list[dict[str, Any]]:
    """Every dataset (view) matching `filters`: partitions present and rows, with `href`."""
    out = []
    for view in _views(con, data_root):
        source = _source_of(view.pattern, data_root)
        if not filters.source_ok(source):
            continue
        files = _filtered(_files(con, view.pattern), filters)
        days = sorted(f["partition"] for f in files if f["partition"])
        out.append(
            {
                "name": view.name,
                "source": source,
                "partitions": len({f["partition"] for f in files}),
                "first_partition": days[0] if days else None,
                "last_partition": days[-1] if days else None,
                "row_count": sum(f["row_count"] for f in files),
                "href": f"/catalog/datasets/{view.name}",
            }
        )
    return out


def dataset_record(
    con: duckdb.DuckDBPyConnection, name: str, filters: Filters, data_root: Path
) -> dict[str, Any] | None:
    """One dataset's schema, partitions, row counts and Parquet paths; None when unknown."""
    view = next((v for v in _views(con, data_root) if v.name == name), None)
    if view is None:
        return None
    files = _filtered(_files(con, view.pattern), filters)
    paths = [f["path"] for f in files]
    if view.pattern:
        row_count = sum(f["row_count"] for f in files)
    else:  # a view over catalog tables, or typed and empty until data lands
        row_count = con.execute(f"SELECT count(*) FROM {_qualified(view)}").fetchone()[0]
    return {
        "name": view.name,
        "source": _source_of(view.pattern, data_root),
        "columns": _columns(con, view),
        "parquet_glob": view.pattern,
        "parquet_paths": paths,
        "partitions": _partitions(files),
        "row_count": row_count,
        "query": f"SELECT * FROM {view.name}" if not paths else _read_parquet_hint(paths),
    }


def _qualified(view: _View) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (view.schema, view.view))


def _read_parquet_hint(paths: list[str]) -> str:
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    return f"SELECT * FROM read_parquet([{quoted}], union_by_name = true)"
