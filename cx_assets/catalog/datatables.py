"""Register data table snapshots, imports and their quarantine in the catalog; read them back.

Every write is one short transaction with an audit entry (flow `datatables`), so a re-run of a
snapshot day or an import run replaces its rows instead of duplicating them. Each table also gets
a view, `datatables.<slug of its name>`, over all its snapshot days with a `snapshot_date` column,
and `datatables.snapshot_index` lists every snapshot with its view. Table ids and names come from
the vendor: ids are validated before they reach a path, names only ever become a slug of
`[a-z0-9_]`, and both are passed to SQL as parameters or quoted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import LOCK_TIMEOUT_S, default_lake_root, write_transaction
from cx_assets.catalog.conversations import strip_query
from cx_assets.catalog.datatable_tables import (
    IMPORT_COLUMNS,
    INDEX_VIEW,
    QUARANTINE_COLUMNS,
    SNAPSHOT_COLUMNS,
    VIEW_SCHEMA,
)
from cx_assets.catalog.queries import query
from cx_assets.catalog.record_checks import check_aware
from cx_assets.catalog.views import quote_identifier
from cx_assets.lake.datatables import SNAPSHOT_DATASET, SNAPSHOT_FILE, SOURCE, QuarantineRow
from cx_assets.lake.paths import validate_partition_key, validate_token

FLOW = "datatables"
ACTION_SNAPSHOT = "snapshot"
ACTION_IMPORT = "import"
SNAPSHOT_DATE_COLUMN = "snapshot_date"
DEFAULT_ACTOR = "cx-assets"

_FILE_COLUMN = "__cx_snapshot_file"  # the Parquet reader's filename column, dropped by the view
_SLUG_MAX = 60
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DAY_IN_PATH = r"date=([0-9]{4}-[0-9]{2}-[0-9]{2})"
_SNAPSHOT_TIMESTAMPS = ("started_at", "finished_at", "registered_at")


def _as_day(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"a snapshot day is a date, got the datetime {value!r}")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(validate_partition_key(value))


def _relative_path(path: str) -> str:
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or "\\" in path or ".." in parts:
        raise ValueError(f"snapshot path {path!r} must be relative to the data root, without '..'")
    return path


@dataclass(frozen=True, kw_only=True)
class SnapshotRecord:
    """One table's snapshot on one day, as `datatable_snapshots` stores it.

    `columns` is the vendor schema, `[{"name", "type", "isPrimaryKey"}]`; `path` is relative to
    the data root. `day` accepts `YYYY-MM-DD` and is held as a date.
    """

    table_id: str
    table_name: str
    day: dt.date
    etag: str | None
    version: int | None
    row_count: int
    pages: int
    restarts: int
    columns: Sequence[Mapping[str, Any]] = field(hash=False)
    path: str
    bytes: int
    sha256: str
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    is_emulator: bool = False
    api_base_url: str | None = None
    run_id: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    registered_at: dt.datetime | None = None  # set by register_snapshot

    def __post_init__(self) -> None:
        validate_token(self.table_id, "table id")
        object.__setattr__(self, "day", _as_day(self.day))
        object.__setattr__(self, "path", _relative_path(self.path))
        object.__setattr__(self, "api_base_url", strip_query(self.api_base_url))
        object.__setattr__(self, "columns", [dict(c) for c in self.columns])
        check_aware(self, _SNAPSHOT_TIMESTAMPS)


@dataclass(frozen=True, kw_only=True)
class ImportRecord:
    """One run of a declared import, as `datatable_imports` stores it."""

    import_name: str
    run_id: str
    table_id: str
    source: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    rows_total: int
    valid: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    batches: int
    bisections: int
    chunk_sizes: Sequence[int] = field(hash=False)
    verified: bool
    missing: int
    different: int
    requests: int = 0
    throttled: int = 0
    status: str
    registered_at: dt.datetime | None = None  # set by register_import

    def __post_init__(self) -> None:
        validate_token(self.import_name, "import name")
        validate_token(self.run_id, "run id")
        validate_token(self.table_id, "table id")
        object.__setattr__(self, "chunk_sizes", [int(n) for n in self.chunk_sizes])
        check_aware(self, ("started_at", "finished_at", "registered_at"))


def _names_marks(columns: Sequence[tuple[str, str]]) -> tuple[str, str]:
    return ", ".join(c for c, _ in columns), ", ".join("?" for _ in columns)


_SNAPSHOT_NAMES, _SNAPSHOT_MARKS = _names_marks(SNAPSHOT_COLUMNS)
_IMPORT_NAMES, _IMPORT_MARKS = _names_marks(IMPORT_COLUMNS)
_QUARANTINE_NAMES, _QUARANTINE_MARKS = _names_marks(QUARANTINE_COLUMNS)


def _actor(actor: str | None, run_id: str | None) -> str:
    return actor or (f"run {run_id}" if run_id else DEFAULT_ACTOR)


def register_snapshot(
    catalog_path: Path | str,
    record: SnapshotRecord,
    *,
    actor: str | None = None,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Make `record` the table's snapshot for its day (a re-run replaces it); returns audit seq."""
    registered_at = record.registered_at or dt.datetime.now(dt.UTC)
    values = {name: getattr(record, name) for name, _ in SNAPSHOT_COLUMNS}
    values["columns"] = json.dumps(record.columns, sort_keys=True, default=str)
    values["registered_at"] = registered_at
    key = [record.table_id, record.day]
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        previous = con.execute(
            "SELECT sha256 FROM datatable_snapshots WHERE table_id = ? AND day = ?", key
        ).fetchone()
        con.execute("DELETE FROM datatable_snapshots WHERE table_id = ? AND day = ?", key)
        con.execute(
            f"INSERT INTO datatable_snapshots ({_SNAPSHOT_NAMES}) VALUES ({_SNAPSHOT_MARKS})",
            [values[name] for name, _ in SNAPSHOT_COLUMNS],
        )
        return append_audit(
            con,
            flow=FLOW,
            action=ACTION_SNAPSHOT,
            entity=f"{record.table_id}/{record.day.isoformat()}",
            actor=_actor(actor, record.run_id),
            details={
                "table_name": record.table_name,
                "day": record.day.isoformat(),
                "etag": record.etag,
                "version": record.version,
                "rows": record.row_count,
                "restarts": record.restarts,
                "path": record.path,
                "bytes": record.bytes,
                "sha256": record.sha256,
                "replaced_sha256": previous[0] if previous else None,
            },
        )


def _snapshot_from_row(row: dict[str, Any]) -> SnapshotRecord:
    row["columns"] = json.loads(row["columns"])
    return SnapshotRecord(**row)


def _snapshots(catalog_path: Path | str, where: str, params: list[Any]) -> SnapshotRecord | None:
    result = query(
        catalog_path,
        f"SELECT {_SNAPSHOT_NAMES} FROM datatable_snapshots WHERE {where} "
        "ORDER BY day DESC LIMIT 1",
        params,
    )
    return _snapshot_from_row(result.as_dicts()[0]) if result.rows else None


def snapshot_for(
    catalog_path: Path | str, table_id: str, day: dt.date | str
) -> SnapshotRecord | None:
    """The table's snapshot of `day`, or None."""
    return _snapshots(catalog_path, "table_id = ? AND day = ?", [table_id, _as_day(day)])


def previous_snapshot(
    catalog_path: Path | str, table_id: str, before_day: dt.date | str
) -> SnapshotRecord | None:
    """The table's latest snapshot strictly before `before_day` (to compare schemas), or None."""
    return _snapshots(catalog_path, "table_id = ? AND day < ?", [table_id, _as_day(before_day)])


def register_import(
    catalog_path: Path | str,
    record: ImportRecord,
    quarantined: Sequence[QuarantineRow],
    *,
    actor: str | None = None,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Record an import run and its quarantined rows (a re-registration replaces both).

    `quarantined` must hold exactly `record.quarantined` rows: the catalog never counts rows it
    does not keep. Returns the audit entry's seq.
    """
    if len(quarantined) != record.quarantined:
        raise ValueError(
            f"import {record.import_name} run {record.run_id}: record says "
            f"{record.quarantined} quarantined row(s) but {len(quarantined)} were given"
        )
    registered_at = record.registered_at or dt.datetime.now(dt.UTC)
    values = {name: getattr(record, name) for name, _ in IMPORT_COLUMNS}
    values["chunk_sizes"] = json.dumps(list(record.chunk_sizes))
    values["registered_at"] = registered_at
    key = [record.import_name, record.run_id]
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        for table in ("datatable_imports", "datatable_quarantine"):
            con.execute(f"DELETE FROM {table} WHERE import_name = ? AND run_id = ?", key)
        con.execute(
            f"INSERT INTO datatable_imports ({_IMPORT_NAMES}) VALUES ({_IMPORT_MARKS})",
            [values[name] for name, _ in IMPORT_COLUMNS],
        )
        if quarantined:
            con.executemany(
                f"INSERT INTO datatable_quarantine ({_QUARANTINE_NAMES}) "
                f"VALUES ({_QUARANTINE_MARKS})",
                [
                    [
                        *key,
                        q.row_number,
                        q.field,
                        q.reason,
                        q.row_json,
                        record.source,
                        registered_at,
                    ]
                    for q in quarantined
                ],
            )
        return append_audit(
            con,
            flow=FLOW,
            action=ACTION_IMPORT,
            entity=f"{record.import_name}/{record.run_id}",
            actor=_actor(actor, record.run_id),
            details={
                "table_id": record.table_id,
                "status": record.status,
                "rows_total": record.rows_total,
                "inserted": record.inserted,
                "updated": record.updated,
                "unchanged": record.unchanged,
                "quarantined": record.quarantined,
                "verified": record.verified,
            },
        )


def last_import(catalog_path: Path | str, import_name: str) -> ImportRecord | None:
    """The most recently registered run of the import, or None."""
    result = query(
        catalog_path,
        f"SELECT {_IMPORT_NAMES} FROM datatable_imports WHERE import_name = ? "
        "ORDER BY registered_at DESC, started_at DESC NULLS LAST LIMIT 1",
        [import_name],
    )
    if not result.rows:
        return None
    row = result.as_dicts()[0]
    row["chunk_sizes"] = json.loads(row["chunk_sizes"])
    return ImportRecord(**row)


def quarantined_rows(
    catalog_path: Path | str, import_name: str, run_id: str
) -> list[QuarantineRow]:
    """The quarantined rows of one import run, by row number."""
    result = query(
        catalog_path,
        "SELECT row_number, field, reason, row_json FROM datatable_quarantine "
        "WHERE import_name = ? AND run_id = ? ORDER BY row_number",
        [import_name, run_id],
    )
    return [QuarantineRow(*row) for row in result.rows]


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


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _table_view_sql(view_name: str, pattern: Path) -> str:
    file_col = quote_identifier(_FILE_COLUMN)
    return (
        f"CREATE OR REPLACE VIEW {VIEW_SCHEMA}.{quote_identifier(view_name)} AS "
        f"SELECT CAST(regexp_extract({file_col}, '{_DAY_IN_PATH}', 1) AS DATE) "
        f"AS {SNAPSHOT_DATE_COLUMN}, * EXCLUDE ({file_col}) "
        f"FROM read_parquet({_literal(pattern.as_posix())}, hive_partitioning = false, "
        f"union_by_name = true, filename = {_literal(_FILE_COLUMN)})"
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
