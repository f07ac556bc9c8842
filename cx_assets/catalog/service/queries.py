"""What the catalog service answers, read from a read-only catalog connection.

Three kinds of "export" live in the catalog: Genesys exports (`exports` + `export_files`), CXone
export jobs (`cxone_exports` + `cxone_day_metrics`) and data table snapshots
(`datatable_snapshots`, id `datatable-<table id>-<day>`). Datasets are the catalog's views; their
Parquet files come from the `read_parquet('…')` pattern in each view's own SQL, so whatever a
flow registers is served without this module knowing the flow.

Never served: anything whose source, dataset or view name mentions `privacy`, any file under
`<data root>/privacy`, and any URI query string (presigned signatures).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cx_assets.catalog.audit import canonical_json
from cx_assets.catalog.conversations import strip_query

PRIVACY = "privacy"
_PATTERN_IN_VIEW = re.compile(r"read_parquet\(\s*'((?:[^']|'')*)'")
_DAY_IN_PATH = re.compile(r"date=(\d{4}-\d{2}-\d{2})")
SNAPSHOT_PREFIX = "datatable-"


@dataclass(frozen=True)
class Filters:
    """Optional filters of the listing routes: partition days in `start..end`, one source."""

    start: dt.date | None = None
    end: dt.date | None = None
    source: str | None = None

    def day_ok(self, first: dt.date | None, last: dt.date | None = None) -> bool:
        """True when `first..last` overlaps the filter's range (an undated item always passes)."""
        if first is None:
            return True
        last = last or first
        return (self.start is None or last >= self.start) and (
            self.end is None or first <= self.end
        )

    def source_ok(self, source: str | None) -> bool:
        return self.source is None or source == self.source


def _private(*names: str | None) -> bool:
    return any(n is not None and PRIVACY in n.lower() for n in names)


def _in_privacy_area(path: str | None, data_root: Path) -> bool:
    if not path:
        return False
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = data_root / candidate
    try:
        candidate.resolve().relative_to((data_root / PRIVACY).resolve())
    except ValueError:
        return PRIVACY in Path(path).parts
    return True


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
    return {name for (name,) in rows.fetchall()}


def governance_sha256(files: Iterable[dict[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of `[{name, sha256, size}]` sorted by name.

    Anyone holding the files can recompute it; it changes if any file is added, removed or
    altered.
    """
    entries = sorted(
        ({"name": f["name"], "sha256": f["sha256"], "size": f["size"]} for f in files),
        key=lambda f: f["name"],
    )
    return hashlib.sha256(canonical_json(entries).encode("utf-8")).hexdigest()


# -- exports ------------------------------------------------------------------------------------


def _genesys_exports(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT export_id, source, dataset, partition_key, status, format, row_count, "
        "quarantined_count, file_count, bytes, requested_at, completed_at, registered_at "
        "FROM exports ORDER BY source, dataset, partition_key"
    )
    names = [d[0] for d in rows.description or ()]
    out = []
    for row in rows.fetchall():
        item = dict(zip(names, row, strict=True))
        out.append(
            {
                "export_id": item["export_id"],
                "kind": "export",
                "source": item["source"],
                "dataset": item["dataset"],
                "partitions": [item["partition_key"]],
                "status": item["status"],
                "format": item["format"],
                "row_count": item["row_count"],
                "quarantined_count": item["quarantined_count"],
                "file_count": item["file_count"],
                "bytes": item["bytes"],
                "requested_at": item["requested_at"],
                "completed_at": item["completed_at"],
                "registered_at": item["registered_at"],
            }
        )
    return out


def _cxone_exports(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT e.export_id, e.status, e.records, e.range_start, e.range_end, e.created_at, "
        "e.finished_at, list(d.day ORDER BY d.day) FILTER (WHERE d.day IS NOT NULL), "
        "count(d.day), coalesce(sum(d.bytes), 0), coalesce(sum(d.total - d.valid), 0) "
        "FROM cxone_exports e LEFT JOIN cxone_day_metrics d USING (export_id) "
        "GROUP BY ALL ORDER BY e.range_start, e.export_id"
    ).fetchall()
    return [
        {
            "export_id": export_id,
            "kind": "export",
            "source": "cxone",
            "dataset": "interactions",
            "partitions": [d.isoformat() for d in days or []],
            "range": {"start": start, "end": end},
            "status": status,
            "format": "parquet",
            "row_count": records,
            "quarantined_count": incomplete,
            "file_count": files,
            "bytes": size,
            "requested_at": created,
            "completed_at": finished,
            "registered_at": finished,
        }
        for (
            export_id,
            status,
            records,
            start,
            end,
            created,
            finished,
            days,
            files,
            size,
            incomplete,
        ) in rows
    ]


def _snapshots(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT table_id, table_name, day, row_count, bytes, started_at, finished_at, "
        "registered_at FROM datatable_snapshots ORDER BY table_id, day"
    ).fetchall()
    return [
        {
            "export_id": f"{SNAPSHOT_PREFIX}{table_id}-{day.isoformat()}",
            "kind": "datatable_snapshot",
            "source": "genesys",
            "dataset": f"datatables/{table_id}",
            "table_name": table_name,
            "partitions": [day.isoformat()],
            "status": "VERIFIED",
            "format": "parquet",
            "row_count": row_count,
            "quarantined_count": 0,
            "file_count": 1,
            "bytes": size,
            "requested_at": started,
            "completed_at": finished,
            "registered_at": registered,
        }
        for table_id, table_name, day, row_count, size, started, finished, registered in rows
    ]


def _all_exports(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    tables = _tables(con)
    found: list[dict[str, Any]] = []
    if {"exports", "export_files"} <= tables:
        found += _genesys_exports(con)
    if {"cxone_exports", "cxone_day_metrics"} <= tables:
        found += _cxone_exports(con)
    if "datatable_snapshots" in tables:
        found += _snapshots(con)
    return [e for e in found if not _private(e["source"], e["dataset"])]


def _export_days(export: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    if "range" in export:
        return export["range"]["start"], export["range"]["end"]
    days = [d for d in (_day(p) for p in export["partitions"]) if d is not None]
    return (min(days), max(days)) if days else (None, None)


def list_exports(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dict[str, Any]]:
    """Every export matching `filters`, summarised, with `href` to its record."""
    out = []
    for export in _all_exports(con):
        if filters.source_ok(export["source"]) and filters.day_ok(*_export_days(export)):
            out.append(_jsonable({**export, "href": f"/catalog/{export['export_id']}"}))
    return out


def _files_of(
    con: duckdb.DuckDBPyConnection, export: dict[str, Any], data_root: Path
) -> list[dict[str, Any]]:
    export_id = export["export_id"]
    if export["kind"] == "datatable_snapshot":
        table_id, day = export["dataset"].split("/", 1)[1], export["partitions"][0]
        rows = con.execute(
            "SELECT path, bytes, sha256, row_count FROM datatable_snapshots "
            "WHERE table_id = ? AND day = ?",
            [table_id, day],
        ).fetchall()
        return [
            {
                "name": Path(path).name,
                "size": size,
                "sha256": sha,
                "record_count": count,
                "uri": None,
                "path": str(data_root / path),
            }
            for path, size, sha, count in rows
        ]
    if export["source"] == "cxone":
        rows = con.execute(
            "SELECT day, path, bytes, sha256, total FROM cxone_day_metrics "
            "WHERE export_id = ? ORDER BY day",
            [export_id],
        ).fetchall()
        return [
            {
                "name": f"date={day.isoformat()}/{Path(path).name}",
                "size": size,
                "sha256": sha,
                "record_count": total,
                "uri": None,
                "path": path,
            }
            for day, path, size, sha, total in rows
        ]
    rows = con.execute(
        "SELECT name, size, sha256, record_count, uri, raw_path FROM export_files "
        "WHERE export_id = ? ORDER BY partition_key, name",
        [export_id],
    ).fetchall()
    return [
        {
            "name": name,
            "size": size,
            "sha256": sha,
            "record_count": count,
            "uri": strip_query(uri),
            "path": raw_path,
        }
        for name, size, sha, count, uri, raw_path in rows
    ]


def export_record(
    con: duckdb.DuckDBPyConnection, export_id: str, data_root: Path
) -> dict[str, Any] | None:
    """One export with its files and governance hash, or None when unknown (or private)."""
    matches = [e for e in _all_exports(con) if e["export_id"] == export_id]
    if not matches:
        return None
    export = dict(matches[0])
    if len(matches) > 1:  # one export id registered for several partitions
        export["partitions"] = sorted({p for m in matches for p in m["partitions"]})
    files = [
        f for f in _files_of(con, export, data_root) if not _in_privacy_area(f["path"], data_root)
    ]
    export["files"] = files
    export["governance_sha256"] = governance_sha256(files)
    export["href"] = f"/catalog/{export_id}"
    return _jsonable(export)


# -- datasets -----------------------------------------------------------------------------------


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
        if _private(schema, view) or _in_privacy_area(pattern, data_root):
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
    return [f for f in files if filters.day_ok(_day(f["partition"]))]


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


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return _iso(value)
