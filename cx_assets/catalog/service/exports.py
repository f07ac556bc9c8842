"""The catalog service's exports: listings and one export's record with files and hashes.

Three kinds of "export" live in the catalog: Genesys exports (`exports` + `export_files`), CXone
export jobs (`cxone_exports` + `cxone_day_metrics`) and data table snapshots
(`datatable_snapshots`, id `datatable-<table id>-<day>`). A flow whose tables do not exist yet
is skipped; private exports and files (filters.py) are never listed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from cx_assets.catalog.audit import canonical_json
from cx_assets.catalog.record_checks import strip_query
from cx_assets.catalog.service.filters import (
    Filters,
    catalog_tables,
    in_privacy_area,
    jsonable,
    parse_day,
    private,
)

SNAPSHOT_PREFIX = "datatable-"


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
    tables = catalog_tables(con)
    found: list[dict[str, Any]] = []
    if {"exports", "export_files"} <= tables:
        found += _genesys_exports(con)
    if {"cxone_exports", "cxone_day_metrics"} <= tables:
        found += _cxone_exports(con)
    if "datatable_snapshots" in tables:
        found += _snapshots(con)
    return [e for e in found if not private(e["source"], e["dataset"])]


def _export_days(export: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    if "range" in export:
        return export["range"]["start"], export["range"]["end"]
    days = [d for d in (parse_day(p) for p in export["partitions"]) if d is not None]
    return (min(days), max(days)) if days else (None, None)


def list_exports(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dict[str, Any]]:
    """Every export matching `filters`, summarised, with `href` to its record."""
    out = []
    for export in _all_exports(con):
        if filters.source_ok(export["source"]) and filters.day_ok(*_export_days(export)):
            out.append(jsonable({**export, "href": f"/catalog/{export['export_id']}"}))
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
        f for f in _files_of(con, export, data_root) if not in_privacy_area(f["path"], data_root)
    ]
    export["files"] = files
    export["governance_sha256"] = governance_sha256(files)
    export["href"] = f"/catalog/{export_id}"
    return jsonable(export)
